using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Sluice.RabbitMq;

/// <summary>
/// The process's one AMQP connection, opened on first use (waiting for the broker at start) and recovered by
/// the client after a broker restart or a network cut (connection, channels, server-named queues, consumers).
/// <see cref="Generation"/> increases on every connection loss, so deliveries taken before it are recognised
/// as stale: their tags mean nothing on the recovered channels and the broker redelivers them.
/// </summary>
internal sealed partial class RabbitMqConnection : IAsyncDisposable
{
    private readonly RabbitMqOptions _options;
    private readonly ILogger<RabbitMqConnection> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private int _generation;
    private int _disposed;

    public RabbitMqConnection(IOptions<RabbitMqOptions> options, ILogger<RabbitMqConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public int Generation => Volatile.Read(ref _generation);

    public bool IsOpen => _connection is { IsOpen: true };

    /// <summary>Raised on every connection loss, after <see cref="Generation"/> has moved on.</summary>
    public event Action? Lost;

    public async ValueTask<IConnection> GetAsync(CancellationToken ct)
    {
        if (_connection is { } c)
        {
            return c;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_connection is { } existing)
            {
                return existing;
            }

            var factory = new ConnectionFactory
            {
                Uri = RabbitMqUrl.ToAmqp(_options.Url),
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
                RequestedHeartbeat = TimeSpan.FromSeconds(10),
                ClientProvidedName = $"sluice-{Environment.MachineName}-{Environment.ProcessId}",
            };
            var until = DateTime.UtcNow + _options.StartTimeout;
            while (true)
            {
                // The broker gets ConfirmTimeout to answer the handshake and the check channel: a hung one (a frozen node, a
                // partition with no reset) would hold each for the client's own timeouts, the channel open 20 s without
                // heeding cancellation, then fail the start with 'A task was canceled.'.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(_options.ConfirmTimeout);
                try
                {
                    var conn = await ConnectAsync(factory, attempt.Token).ConfigureAwait(false);
                    try
                    {
                        // A missing vhost is refused just after the connection is returned (an asynchronous close,
                        // which recovery would retry forever): one channel round trip surfaces it here.
                        await using var probe = await ChannelOpening.OpenAsync(conn, attempt.Token).ConfigureAwait(false);
                    }
                    catch (Exception) when (conn.CloseReason is { ReplyCode: 403 or 530 } closed)
                    {
                        conn.Dispose();
                        throw new RabbitMQ.Client.Exceptions.OperationInterruptedException(closed);
                    }
                    catch (OperationCanceledException)
                    {
                        // Let go in the background: closing waits for a broker that does not answer.
                        _ = Task.Run(conn.Dispose, CancellationToken.None);
                        throw;
                    }

                    conn.ConnectionShutdownAsync += OnShutdownAsync;
                    conn.RecoverySucceededAsync += OnRecoveredAsync;
                    _connection = conn;
                    Log.Connected(_logger, RabbitMqUrl.Redact(_options.Url));
                    return conn;
                }
                catch (Exception ex) when (Refusal(ex) is { } reason)
                {
                    // Wrong credentials or vhost do not heal by waiting: fail the start now, saying which.
                    throw new InvalidOperationException(
                        $"RabbitMQ at {RabbitMqUrl.Redact(_options.Url)} refused the connection ({reason}); check the user, password and vhost of Sluice:Queue:Url", ex);
                }
                catch (OperationCanceledException ex) when (attempt.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    if (DateTime.UtcNow >= until)
                    {
                        throw new InvalidOperationException(
                            $"RabbitMQ at {RabbitMqUrl.Redact(_options.Url)} did not answer within {_options.ConfirmTimeout.TotalSeconds:0.#} s (Sluice:Queue:ConfirmTimeout) after waiting {_options.StartTimeout.TotalSeconds:0} s; it takes connections but answers nothing: check that the broker is not hung or cut off", ex);
                    }

                    Log.NotAnswering(_logger, RabbitMqUrl.Redact(_options.Url), _options.ConfirmTimeout.TotalSeconds);
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or System.Net.Sockets.SocketException)
                {
                    if (DateTime.UtcNow >= until)
                    {
                        // The client's own words ("None of the specified endpoints were reachable") name neither the
                        // broker nor the setting: the operator reading the one-line start error needs both.
                        throw new InvalidOperationException(
                            $"RabbitMQ at {RabbitMqUrl.Redact(_options.Url)} is not reachable ({ex.GetBaseException().Message.Split('\n')[0].TrimEnd()}) after waiting {_options.StartTimeout.TotalSeconds:0} s; check the host and port of Sluice:Queue:Url and that the broker runs", ex);
                    }

                    Log.Waiting(_logger, RabbitMqUrl.Redact(_options.Url), ex.Message);
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Opens a connection, giving up when <paramref name="ct"/> is cancelled whatever the client does with it (a late
    /// connection is disposed); a failure once <paramref name="ct"/> is cancelled is reported as that cancellation.
    /// </summary>
    private static async Task<IConnection> ConnectAsync(ConnectionFactory factory, CancellationToken ct)
    {
        var opening = factory.CreateConnectionAsync(ct);
        try
        {
            return await opening.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = DisposeWhenOpenAsync(opening);
            throw;
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // The client may wrap the cancellation of its handshake (BrokerUnreachableException): it is the wait that ran out.
            throw new OperationCanceledException(ex.Message, ex, ct);
        }
    }

    private static async Task DisposeWhenOpenAsync(Task<IConnection> opening)
    {
        try
        {
            var late = await opening.ConfigureAwait(false);
            late.Dispose();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never opened (or already gone): nothing to release.
        }
    }

    /// <summary>Why the broker refused this client for good (authentication, vhost, permissions), or null for a transient failure.</summary>
    private static string? Refusal(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RabbitMQ.Client.Exceptions.AuthenticationFailureException or RabbitMQ.Client.Exceptions.PossibleAuthenticationFailureException:
                    return "authentication failed: " + e.Message.Split('\n')[0].TrimEnd();
                case RabbitMQ.Client.Exceptions.OperationInterruptedException { ShutdownReason: { ReplyCode: 403 or 530 } reason }:
                    // 530 NOT_ALLOWED: the vhost does not exist; 403 ACCESS_REFUSED: no permission on it.
                    return reason.ReplyText;
            }
        }

        return null;
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs e)
    {
        Interlocked.Increment(ref _generation);
        Log.Lost(_logger, e.ReplyText);
        Lost?.Invoke();
        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(object sender, AsyncEventArgs e)
    {
        Log.Recovered(_logger);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_connection is { } c)
        {
            try
            {
                await c.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Closing a dead connection at shutdown: nothing left to release on the broker.
            }

            c.Dispose();
        }

        _gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Connected to RabbitMQ at {Broker}")]
        public static partial void Connected(ILogger logger, string broker);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "RabbitMQ at {Broker} not reachable yet ({Error}); waiting")]
        public static partial void Waiting(ILogger logger, string broker, string error);

        [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "RabbitMQ connection lost ({Reason}); recovering")]
        public static partial void Lost(ILogger logger, string reason);

        [LoggerMessage(EventId = 2204, Level = LogLevel.Information, Message = "RabbitMQ connection recovered")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(EventId = 2205, Level = LogLevel.Warning, Message = "RabbitMQ at {Broker} did not answer within {Seconds} s (it takes connections but answers nothing: a hung node or a cut network); waiting")]
        public static partial void NotAnswering(ILogger logger, string broker, double seconds);
    }
}
