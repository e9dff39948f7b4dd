using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sluice.Core;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq;

/// <summary>
/// Keeps the store in step with the broker's dead-letter exchange. RabbitMQ dead-letters a message by itself
/// when a lane's <c>x-delivery-limit</c> is reached (on RabbitMQ 3.x every return counts: a nack, a worker's
/// connection drop, the prefetch given back at a graceful stop), without Sluice having written an outcome. Every
/// dead-lettered message is copied to <c>{p}.dead.reconcile</c>; any process takes it from there and finishes the
/// job <c>dead_lettered</c> in the store (with its terminal event) unless it is already finished, so the job
/// shows in <c>/v1/dead-letters</c> and can be requeued. While the store is down a message is held, unacknowledged,
/// and the store retried with backoff: it is acknowledged only once the store agrees.
/// </summary>
internal sealed partial class RabbitMqDeadLetterReconciler : IHostedService, IAsyncDisposable
{
    private const ushort Prefetch = 32;

    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTopology _topology;
    private readonly IJobStore _store;
    private readonly RabbitMqJobEventHub _events;
    private readonly TimeProvider _time;
    private readonly ILogger<RabbitMqDeadLetterReconciler> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private IChannel? _channel;

    /// <summary>How long the broker gets to answer the setup (<see cref="RabbitMqOptions.ConfirmTimeout"/>).</summary>
    private readonly TimeSpan _setupTimeout;

    /// <summary>The setup still trying in the background after the broker did not answer it at start, if any.</summary>
    private Task? _consumeLater;
    private int _disposed;

    public RabbitMqDeadLetterReconciler(RabbitMqConnection connection, RabbitMqTopology topology, IJobStore store, RabbitMqJobEventHub events,
        IOptions<RabbitMqOptions> options, TimeProvider time, ILogger<RabbitMqDeadLetterReconciler> logger)
    {
        _setupTimeout = options.Value.ConfirmTimeout;
        _connection = connection;
        _topology = topology;
        _store = store;
        _events = events;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var conn = await _connection.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ConsumeAsync(conn, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A frozen broker (a hung node, a partition with no reset) must not hold the start: dead-lettered messages wait
            // in their durable queue, unacknowledged by nobody, until a reconciler takes them.
            Log.ConsumeStalled(_logger, _setupTimeout.TotalSeconds);
            _consumeLater = Task.Run(() => ConsumeLaterAsync(conn, _stopping.Token));
        }
    }

    /// <summary>Tries again every second until the reconciler consumes (or the process stops).</summary>
    private async Task ConsumeLaterAsync(IConnection conn, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                await ConsumeAsync(conn, ct).ConfigureAwait(false);
                Log.Consuming(_logger);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (TimeoutException)
            {
                // Still frozen: said once already.
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ConsumeFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>
    /// Opens the channel, declares the reconcile queue and consumes it. The broker gets <see cref="RabbitMqOptions.ConfirmTimeout"/>
    /// for all of it: a hung one would hold each round trip for the client's 20 s continuation timeout (the channel open
    /// without heeding cancellation). Throws <see cref="TimeoutException"/> then, having let go of the channel.
    /// </summary>
    private async Task ConsumeAsync(IConnection conn, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_setupTimeout);
        var ct = bound.Token;
        IChannel? ch = null;
        AsyncEventingBasicConsumer? consumer = null;
        try
        {
            ch = await ChannelOpening.OpenAsync(conn, ct).ConfigureAwait(false);
            await ch.BasicQosAsync(0, Prefetch, false, ct).WaitAsync(ct).ConfigureAwait(false);
            await _topology.DeclareReconcileAsync(ch, ct).WaitAsync(ct).ConfigureAwait(false);
            consumer = new AsyncEventingBasicConsumer(ch);
            consumer.ReceivedAsync += OnReceivedAsync;
            await ch.BasicConsumeAsync(_topology.ReconcileQueue, autoAck: false, consumer, ct).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Half set up: closed in the background (a frozen broker answers the close no sooner), so a late answer
            // leaves no consumer nobody reads; the broker takes its messages back.
            if (consumer is not null)
            {
                consumer.ReceivedAsync -= OnReceivedAsync;
            }

            _ = ChannelErrors.CloseQuietlyAsync(ch).AsTask();
            if (RabbitMqTopology.IsArgumentMismatch(ex))
            {
                throw RabbitMqTopology.ArgumentMismatch(ex);
            }

            if (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"RabbitMQ did not answer within {_setupTimeout.TotalSeconds:0.#} s", ex);
            }

            throw;
        }

        _channel = ch;
    }

    private Task OnReceivedAsync(object sender, BasicDeliverEventArgs ea)
    {
        var ch = ((AsyncEventingBasicConsumer)sender).Channel;
        // Off the dispatcher: a message held through a store outage must not hold up the others.
        _ = ReconcileAsync(ch, ea.DeliveryTag, ea.Body.ToArray(), Reason(ea.BasicProperties.Headers));
        return Task.CompletedTask;
    }

    private async Task ReconcileAsync(IChannel ch, ulong tag, byte[] body, string reason)
    {
        string jobId;
        try
        {
            jobId = JobMessage.Decode(body, null).Job.Id;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not a Sluice job (it stays in the dead queue for inspection): nothing to reconcile.
            await AckAsync(ch, tag).ConfigureAwait(false);
            return;
        }

        var generation = _connection.Generation;
        var backoff = Backoff.First;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var record = await _store.GetAsync(jobId, _stopping.Token).ConfigureAwait(false);
                if (record is not null && !record.Status.IsTerminal()
                    && await _events.SettleAsync(jobId, JobStatus.DeadLettered, $"dead-lettered by RabbitMQ ({reason}) before Sluice stored an outcome",
                        // A delivery limit is reached by deliveries that ended with no outcome: the workers holding them died.
                        reason.StartsWith("delivery_limit", StringComparison.Ordinal) ? JobErrorCodes.WorkerLost : null, null, onlyIfQueued: false, _stopping.Token).ConfigureAwait(false))
                {
                    Log.Reconciled(_logger, jobId, reason);
                }

                await AckAsync(ch, tag).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (_connection.Generation != generation)
                {
                    // The delivery went with the connection: the broker hands the message out again.
                    return;
                }

                Log.StoreUnavailable(_logger, jobId, backoff.TotalMilliseconds, ex.Message);
                try
                {
                    await Task.Delay(backoff, _time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>Why the broker dead-lettered it, from the newest <c>x-death</c> entry (e.g. <c>delivery_limit on p.m.normal</c>).</summary>
    internal static string Reason(IDictionary<string, object?>? headers)
    {
        if (headers is not null && headers.TryGetValue("x-death", out var v) && v is IList<object> { Count: > 0 } deaths
            && deaths[0] is IDictionary<string, object?> death && death.TryGetValue("reason", out var r))
        {
            var reason = r is byte[] b ? Encoding.UTF8.GetString(b) : r?.ToString() ?? "unknown";
            return death.TryGetValue("queue", out var q) && q is byte[] qb ? reason + " on " + Encoding.UTF8.GetString(qb) : reason;
        }

        return "unknown";
    }

    private static async Task AckAsync(IChannel ch, ulong tag)
    {
        try
        {
            await ch.BasicAckAsync(tag, false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ChannelErrors.IsClosed(ex))
        {
            // Redelivered to a reconciler later; settling again changes nothing.
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_consumeLater is { } later)
        {
            // Cancelled with the stop; waited for so a setup finishing now cannot leave its channel open after this.
            await later.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await ChannelErrors.CloseQuietlyAsync(_channel).ConfigureAwait(false);

        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2601, Level = LogLevel.Warning, Message = "Job {JobId} was dead-lettered by RabbitMQ ({Reason}); marked dead_lettered in the store")]
        public static partial void Reconciled(ILogger logger, string jobId, string reason);

        [LoggerMessage(EventId = 2602, Level = LogLevel.Warning, Message = "Could not reconcile dead-lettered job {JobId} with the store; holding it, next try in {DelayMs:F0} ms: {Error}")]
        public static partial void StoreUnavailable(ILogger logger, string jobId, double delayMs, string error);

        [LoggerMessage(EventId = 2603, Level = LogLevel.Warning, Message = "RabbitMQ did not answer within {Seconds} s when setting up the dead-letter reconciler; it consumes once the broker answers (dead-lettered jobs wait in the reconcile queue)")]
        public static partial void ConsumeStalled(ILogger logger, double seconds);

        [LoggerMessage(EventId = 2604, Level = LogLevel.Information, Message = "The dead-letter reconciler consumes from RabbitMQ now that it answered")]
        public static partial void Consuming(ILogger logger);

        [LoggerMessage(EventId = 2605, Level = LogLevel.Warning, Message = "Could not set up the dead-letter reconciler on RabbitMQ ({Error}); retrying")]
        public static partial void ConsumeFailed(ILogger logger, string error);
    }
}
