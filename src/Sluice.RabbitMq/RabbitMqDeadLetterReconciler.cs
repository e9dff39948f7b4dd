using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
    private int _disposed;

    public RabbitMqDeadLetterReconciler(RabbitMqConnection connection, RabbitMqTopology topology, IJobStore store, RabbitMqJobEventHub events,
        TimeProvider time, ILogger<RabbitMqDeadLetterReconciler> logger)
    {
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
        var ch = await conn.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await ch.BasicQosAsync(0, Prefetch, false, cancellationToken).ConfigureAwait(false);
        try
        {
            await _topology.DeclareReconcileAsync(ch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RabbitMqTopology.IsArgumentMismatch(ex))
        {
            throw RabbitMqTopology.ArgumentMismatch(ex);
        }

        _channel = ch;
        var consumer = new AsyncEventingBasicConsumer(ch);
        consumer.ReceivedAsync += OnReceivedAsync;
        await ch.BasicConsumeAsync(_topology.ReconcileQueue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
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
        await ChannelErrors.CloseQuietlyAsync(_channel).ConfigureAwait(false);

        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2601, Level = LogLevel.Warning, Message = "Job {JobId} was dead-lettered by RabbitMQ ({Reason}); marked dead_lettered in the store")]
        public static partial void Reconciled(ILogger logger, string jobId, string reason);

        [LoggerMessage(EventId = 2602, Level = LogLevel.Warning, Message = "Could not reconcile dead-lettered job {JobId} with the store; holding it, next try in {DelayMs:F0} ms: {Error}")]
        public static partial void StoreUnavailable(ILogger logger, string jobId, double delayMs, string error);
    }
}
