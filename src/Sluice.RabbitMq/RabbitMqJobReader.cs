using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sluice.Core;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq;

/// <summary>
/// A worker's side of one model's queue. Consumes the model's three lane queues with manual acknowledgement
/// and a prefetch sized to the batch capacity, so deliveries pile up locally while a batch runs and the
/// batcher fills its next batch from many messages at once. Buffered jobs are served from in-process priority
/// lanes (high first, with aging). A delivery is acknowledged only after the job's outcome is stored; a retry
/// is published to a delay queue (confirmed) before the original is acknowledged; an exhausted job is
/// rejected to the dead-letter exchange, which records why in <c>x-death</c>.
/// </summary>
internal sealed partial class RabbitMqJobReader : IJobQueueReader, IAsyncDisposable
{
    private readonly string _model;
    private readonly ushort _prefetch;
    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTopology _topology;
    private readonly RabbitMqJobQueue _queue;
    private readonly RabbitMqJobEventHub _events;
    private readonly IJobStore _store;
    private readonly LiveJobs _live;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PriorityLanes _lanes;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TimeSpan _setupTimeout;
    private IChannel? _channel;

    public RabbitMqJobReader(string model, int capacity, RabbitMqOptions options, TimeSpan aging, RabbitMqConnection connection, RabbitMqTopology topology,
        RabbitMqJobQueue queue, RabbitMqJobEventHub events, IJobStore store, LiveJobs live, TimeProvider time, ILogger logger)
    {
        _model = model;
        // A model that runs one job at a time (the 'train' model) has no next batch to fill: a second delivery would wait
        // behind the running job, unacknowledged, while another worker may be idle. It takes the next one once it acks.
        _prefetch = capacity == 1 ? (ushort)1 : (ushort)Math.Clamp(capacity * options.PrefetchMultiplier, 1, ushort.MaxValue);
        _setupTimeout = options.ConfirmTimeout;
        _connection = connection;
        _topology = topology;
        _queue = queue;
        _events = events;
        _store = store;
        _live = live;
        _time = time;
        _logger = logger;
        _lanes = new PriorityLanes(aging);
        _connection.Lost += StopStaleRuns;
    }

    /// <summary>
    /// The connection is gone, and with it every delivery this worker holds: the broker gives them to a worker
    /// again. Jobs already running here can no longer be acknowledged, so they stop at their next step without
    /// an outcome (see <see cref="IsStale"/>); only the redelivered copy completes.
    /// </summary>
    private void StopStaleRuns()
    {
        foreach (var live in _live.Snapshot())
        {
            // By the copy's model, not the live job's first one: a job moved to its fallback runs on that model's reader.
            if (live.Queued is { } job && job.Model == _model && IsStale(job))
            {
                JobLifecycle.TryCancel(live);
            }
        }
    }

    public bool IsStale(QueuedJob job) => job.Delivery is RabbitMqDelivery d && d.Generation != _connection.Generation;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lanes.Count;
            }
        }
    }

    public ushort Prefetch => _prefetch;

    /// <summary>
    /// Opens the consumer channel and starts consuming every lane. The broker gets <see cref="RabbitMqOptions.ConfirmTimeout"/>
    /// for it: a hung one would hold each round trip for the client's 20 s continuation timeout (the channel open without
    /// heeding cancellation). Throws <see cref="TimeoutException"/> then, having let go of the channel.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var conn = await _connection.GetAsync(ct).ConfigureAwait(false);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(_setupTimeout);
        IChannel? ch = null;
        var consumers = new List<AsyncEventingBasicConsumer>(RabbitMqTopology.Lanes.Length);
        try
        {
            ch = await ChannelOpening.OpenAsync(conn, bound.Token).ConfigureAwait(false);
            // Per-consumer prefetch (quorum queues have no global QoS): each lane may hold this many unacked.
            await ch.BasicQosAsync(0, _prefetch, false, bound.Token).WaitAsync(bound.Token).ConfigureAwait(false);
            foreach (var lane in RabbitMqTopology.Lanes)
            {
                var consumer = new AsyncEventingBasicConsumer(ch);
                consumer.ReceivedAsync += OnReceivedAsync;
                consumers.Add(consumer);
                await ch.BasicConsumeAsync(_topology.LaneQueue(_model, lane), autoAck: false, consumer, bound.Token).WaitAsync(bound.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Half started: its consumers let go and the channel closed in the background (a frozen broker answers the
            // close no sooner), so a late answer hands nothing to this reader and the broker takes the deliveries back.
            foreach (var consumer in consumers)
            {
                consumer.ReceivedAsync -= OnReceivedAsync;
            }

            _ = ChannelErrors.CloseQuietlyAsync(ch).AsTask();
            if (bound.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new TimeoutException($"RabbitMQ did not answer within {_setupTimeout.TotalSeconds:0.#} s", ex);
            }

            throw;
        }

        _channel = ch;
        Log.Consuming(_logger, _model, _prefetch);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs ea)
    {
        var ch = ((AsyncEventingBasicConsumer)sender).Channel;
        var delivery = new RabbitMqDelivery(ch, ea.DeliveryTag, _connection.Generation);
        QueuedJob job;
        long lastEventId;
        try
        {
            (job, lastEventId) = JobMessage.Decode(ea.Body.Span, delivery);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not a Sluice job: straight to the dead-letter queue, never retried.
            Log.Undecodable(_logger, _model, ex.Message);
            await ch.BasicNackAsync(ea.DeliveryTag, false, false).ConfigureAwait(false);
            return;
        }

        // Republished by a gateway's sweep (journaled, never confirmed): the original may have reached the broker after all.
        var recovered = !ea.Redelivered && ea.BasicProperties.Headers?.ContainsKey(RabbitMqJobQueue.RecoveredHeader) == true;
        if (ea.Redelivered || recovered)
        {
            // Off the dispatcher: a delivery held through a store outage must not hold up the others.
            _ = AdmitRedeliveryAsync(job, lastEventId, delivery, recovered);
            return;
        }

        Admit(job, lastEventId);
    }

    /// <summary>
    /// A redelivered job (its worker died, or its channel closed, while holding it): the store knows how far it
    /// got. While the store cannot answer, the delivery is held (unacknowledged) and the check retried with
    /// backoff: handing it back would count a delivery each time, and the quorum queue's delivery limit would
    /// dead-letter an accepted job behind the store's back.
    /// </summary>
    private async Task AdmitRedeliveryAsync(QueuedJob job, long lastEventId, RabbitMqDelivery delivery, bool recovered)
    {
        var backoff = Backoff.First;
        while (true)
        {
            try
            {
                var record = await _store.GetAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
                if (record is null || record.Status >= Core.Jobs.JobStatus.Succeeded || (recovered && record.Status != Core.Jobs.JobStatus.Queued)
                    || !string.Equals(record.Model, job.Model, StringComparison.Ordinal))
                {
                    // Finished before the crash (outcome stored, ack lost), a republished copy of a job a worker took,
                    // or the old copy of a job that moved to its fallback (its worker died before letting go of this
                    // one; the fallback's copy is the job now): nothing to do again.
                    await SafeAckAsync(delivery).ConfigureAwait(false);
                    return;
                }

                job = WithDelivery(JobMessage.Copy(job, Math.Max(job.Attempts, record.Attempts)), delivery);
                if (_store is IJobEventStore events)
                {
                    lastEventId = Math.Max(lastEventId, await events.GetLastEventIdAsync(job.Id, CancellationToken.None).ConfigureAwait(false));
                }

                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                if (delivery.Generation != _connection.Generation)
                {
                    // The delivery went with the connection: the broker hands it out again.
                    return;
                }

                Log.RedeliveryCheckFailed(_logger, job.Id, backoff.TotalMilliseconds, ex.Message);
                await Task.Delay(backoff, _time).ConfigureAwait(false);
                backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(5));
            }
        }

        Admit(job, lastEventId);
    }

    private void Admit(QueuedJob job, long lastEventId)
    {
        if (_live.TryGet(job.Id, out var previous) && previous.Queued is { } running && IsStale(running))
        {
            // This worker still runs the copy it held before the connection loss: start this one only when that run is gone.
            _ = EnqueueWhenPreviousGoneAsync(job, lastEventId, previous);
            return;
        }

        Enqueue(job, lastEventId);
    }

    private void Enqueue(QueuedJob job, long lastEventId)
    {
        if (_live.TryGet(job.Id, out var previous) && previous.Running && !ReferenceEquals(previous.Ran, job))
        {
            // A run of another copy still goes on here (a stale one: its job was requeued while it ran): superseded before
            // this delivery restarts the stream, so none of its events lands in the new run's (see LiveJob.Supersede).
            previous.Supersede();
        }

        // Events of this delivery's run carry its attempt: the store refuses them once another run has taken over.
        _events.Seed(job.Id, lastEventId, job.Attempts + 1);
        lock (_lock)
        {
            _lanes.Enqueue(job);
        }

        _signal.Release();
    }

    private async Task EnqueueWhenPreviousGoneAsync(QueuedJob job, long lastEventId, LiveJob previous)
    {
        JobLifecycle.TryCancel(previous);
        while (_live.TryGet(job.Id, out var current) && ReferenceEquals(current, previous))
        {
            await Task.WhenAny(previous.Settled.Task, Task.Delay(TimeSpan.FromMilliseconds(200), _time)).ConfigureAwait(false);
        }

        Enqueue(job, lastEventId);
    }

    private static QueuedJob WithDelivery(QueuedJob j, object delivery) => j.With(j.Attempts, replaceDelivery: true, delivery: delivery);

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Count > 0)
            {
                return true;
            }

            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            while (_signal.CurrentCount > 0 && _signal.Wait(0))
            {
            }
        }
    }

    public bool TryRead([NotNullWhen(true)] out QueuedJob? job)
    {
        var generation = _connection.Generation;
        lock (_lock)
        {
            while (_lanes.TryDequeue(_time.GetUtcNow(), out job))
            {
                // Taken before a connection loss: the broker has already given it back to the queue.
                if (job.Delivery is not RabbitMqDelivery d || d.Generation == generation)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public bool TryPeekOldest(out DateTimeOffset enqueuedAt)
    {
        lock (_lock)
        {
            return _lanes.TryPeekOldest(out enqueuedAt);
        }
    }

    public async ValueTask AcknowledgeAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        if (job.Delivery is not RabbitMqDelivery d || d.Generation != _connection.Generation)
        {
            return;
        }

        try
        {
            await d.Channel.BasicAckAsync(d.Tag, false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ChannelErrors.IsClosed(ex))
        {
            // The channel died after the outcome was stored: the redelivered copy is found finished and dropped.
            Log.AckLost(_logger, job.Id);
        }
    }

    public async ValueTask RetryLaterAsync(QueuedJob job, TimeSpan delay, CancellationToken cancellationToken)
    {
        // Publish the next attempt (confirmed) before letting go of this one: a crash in between duplicates, never loses.
        var next = JobMessage.Copy(job, job.Attempts + 1);
        try
        {
            await _queue.PublishAsync(next, _events.NextId(job.Id) - 1, delay, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RetryPublishFailed(_logger, job.Id, ex.Message);
            await SafeNackAsync(job.Delivery as RabbitMqDelivery, requeue: true).ConfigureAwait(false);
            return;
        }

        await AcknowledgeAsync(job, cancellationToken).ConfigureAwait(false);
        // The next attempt may go to any worker: this one stops tracking the job until it is delivered here again. Not a
        // newer copy's run in progress here, though: that run has its own block (see JobLifecycle.Track). Nor a copy taken
        // here since (a retry with no backoff can come back to this worker before this line): Track gave it this block.
        if (_live.TryGet(job.Id, out var live) && !(live.Running && !ReferenceEquals(live.Ran, job)) && !TakenSince(live, job))
        {
            _live.Remove(live);
        }
    }

    /// <summary>Another delivery of the job was taken here after <paramref name="job"/>'s (the block's entry is that delivery's).</summary>
    private static bool TakenSince(LiveJob live, QueuedJob job) =>
        live.Queued is { Delivery: { } taken } && !ReferenceEquals(taken, job.Delivery);

    public ValueTask DeadLetterAsync(QueuedJob job, string error, CancellationToken cancellationToken)
    {
        // Reject without requeue: the lane's dead-letter exchange moves it to the dead queue with x-death (reason, queue, count, time).
        Log.DeadLettered(_logger, job.Id, error);
        return SafeNackAsync(job.Delivery as RabbitMqDelivery, requeue: false);
    }

    private async ValueTask SafeAckAsync(RabbitMqDelivery d)
    {
        if (d.Generation != _connection.Generation)
        {
            return;
        }

        try
        {
            await d.Channel.BasicAckAsync(d.Tag, false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ChannelErrors.IsClosed(ex))
        {
            // The channel is gone; the redelivery is checked again.
        }
    }

    private async ValueTask SafeNackAsync(RabbitMqDelivery? d, bool requeue)
    {
        if (d is null || d.Generation != _connection.Generation)
        {
            return;
        }

        try
        {
            await d.Channel.BasicNackAsync(d.Tag, false, requeue).ConfigureAwait(false);
        }
        catch (Exception ex) when (ChannelErrors.IsClosed(ex))
        {
            // The channel is gone; the broker requeues the delivery by itself.
        }
    }

    public ValueTask DisposeAsync() => ChannelErrors.CloseQuietlyAsync(_channel);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Consuming model {Model} (prefetch {Prefetch} per lane)")]
        public static partial void Consuming(ILogger logger, string model, int prefetch);

        [LoggerMessage(EventId = 2302, Level = LogLevel.Error, Message = "Undecodable message on model {Model} dead-lettered: {Error}")]
        public static partial void Undecodable(ILogger logger, string model, string error);

        [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Could not check redelivered job {JobId} against the store; holding it, next try in {DelayMs:F0} ms: {Error}")]
        public static partial void RedeliveryCheckFailed(ILogger logger, string jobId, double delayMs, string error);

        [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Acknowledgement of job {JobId} lost with its channel; the redelivery will be dropped as finished")]
        public static partial void AckLost(ILogger logger, string jobId);

        [LoggerMessage(EventId = 2305, Level = LogLevel.Warning, Message = "Could not publish the retry of job {JobId} ({Error}); requeued")]
        public static partial void RetryPublishFailed(ILogger logger, string jobId, string error);

        [LoggerMessage(EventId = 2306, Level = LogLevel.Warning, Message = "Job {JobId} dead-lettered: {Error}")]
        public static partial void DeadLettered(ILogger logger, string jobId, string error);
    }
}
