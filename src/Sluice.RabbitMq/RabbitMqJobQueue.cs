using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Sluice.Core;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq;

/// <summary>
/// <see cref="IJobQueue"/> on RabbitMQ. Publishing is persistent and waits for the broker's confirm (the quorum
/// queue has the job on a majority of its replicas, fsynced) before the submit may answer 202; a nack, a
/// timeout or a lost connection answers 503 instead and the job is marked failed, so it never runs. Depths
/// come from passive declares polled in the background, capped by the store's count of queued jobs. The broker
/// keeps unacknowledged jobs itself, so nothing is re-enqueued from the store at start.
/// </summary>
internal sealed partial class RabbitMqJobQueue : IJobQueue, IAsyncDisposable
{
    private const int PublisherChannels = 4;

    private readonly RabbitMqOptions _options;
    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTopology _topology;
    private readonly IJobStore _store;
    private readonly RabbitMqJobEventHub _hub;
    private readonly ModelRegistry _registry;
    private readonly LiveJobs _live;
    private readonly PendingRefusals _refusals;
    private readonly TimeProvider _time;
    private readonly ILogger<RabbitMqJobQueue> _logger;

    /// <summary>The refused submits' warnings, rate-limited while the broker keeps failing them.</summary>
    private readonly PublishFailureLog _publishFailures;
    private readonly ConcurrentDictionary<string, QueueDepth> _depths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RabbitMqJobReader> _readers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _declareGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly IChannel?[] _publishers = new IChannel?[PublisherChannels];
    private readonly SemaphoreSlim _publisherGate = new(1, 1);
    private readonly TimeSpan _aging;
    private bool _sharedDeclared;
    private readonly System.Threading.Channels.Channel<string> _published = System.Threading.Channels.Channel.CreateUnbounded<string>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private Task? _poller;
    private Task? _marker;

    // The store's count of queued jobs in flight (at most one: a slow or hung store never piles up counts), the
    // source that cancels it, and whether the last count failed (1), so an outage is logged once, not every poll.
    private Task<IReadOnlyDictionary<string, QueueDepth>?>? _counting;
    private CancellationTokenSource? _countingCancel;
    private int _countFailing;
    private int _next;
    private int _disposed;

    // Why the latest publisher confirm failed, null once one succeeded: readiness follows it (RabbitMqHealthCheck).
    private string? _confirmFailure;

    // Jobs whose deadline a timer of this process watches (WatchDeadline), so the sweep arms each once.
    private readonly ConcurrentDictionary<string, byte> _timed = new(StringComparer.Ordinal);

    /// <summary>How long a deadline timer sleeps at most before checking whether its job ended (tests shorten it).</summary>
    internal TimeSpan DeadlineCheckStep { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a depth poll waits for the store's count of queued jobs before it publishes the broker's counts alone:
    /// a store that is down or slow must not hold the depths stale.
    /// </summary>
    internal static readonly TimeSpan StoreCountTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a stop waits for the pending published markers to reach the store.</summary>
    private static readonly TimeSpan MarkerDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How many unfinished jobs' deadlines this process's timers watch.</summary>
    internal int TimedDeadlines => _timed.Count;

    public RabbitMqJobQueue(IOptions<RabbitMqOptions> options, IOptions<InProcessQueueOptions> local, RabbitMqConnection connection, RabbitMqTopology topology,
        IJobStore store, RabbitMqJobEventHub hub, ModelRegistry registry, LiveJobs live, PendingRefusals refusals, TimeProvider time, ILogger<RabbitMqJobQueue> logger)
    {
        _refusals = refusals;
        _options = options.Value;
        _aging = local.Value.Aging;
        _connection = connection;
        _topology = topology;
        _store = store;
        _hub = hub;
        _registry = registry;
        _live = live;
        _time = time;
        _logger = logger;
        _publishFailures = new PublishFailureLog(logger, time);
    }

    public bool RecoversFromStore => false;

    public async ValueTask DeclareAsync(string model, int maxDepth, CancellationToken cancellationToken)
    {
        await _declareGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        IChannel? ch = null;
        try
        {
            var conn = await _connection.GetAsync(cancellationToken).ConfigureAwait(false);
            // The broker gets ConfirmTimeout for the channel and the declares: a hung one would hold each round trip for
            // the client's 20 s continuation timeout (the channel open without heeding cancellation).
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(_options.ConfirmTimeout);
            try
            {
                ch = await ChannelOpening.OpenAsync(conn, bound.Token).ConfigureAwait(false);
                if (!_sharedDeclared)
                {
                    await _topology.DeclareSharedAsync(ch, bound.Token).WaitAsync(bound.Token).ConfigureAwait(false);
                    _sharedDeclared = true;
                }

                await _topology.DeclareModelAsync(ch, model, bound.Token).WaitAsync(bound.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                // Let go in the background: closing waits for a broker that does not answer.
                _ = ChannelErrors.CloseQuietlyAsync(ch).AsTask();
                ch = null;
                throw new InvalidOperationException(
                    $"RabbitMQ did not answer within {_options.ConfirmTimeout.TotalSeconds:0.#} s (Sluice:Queue:ConfirmTimeout) while declaring the queues of model {model}; check that the broker is not hung or cut off", ex);
            }

            _depths.TryAdd(model, default);
            if (_poller is null)
            {
                // Not under the declaring request's trace and log scope: the loop outlives it and serves every model.
                using (ExecutionContext.SuppressFlow())
                {
                    _poller ??= Task.Run(() => PollDepthsAsync(_stopping.Token));
                }
            }
        }
        catch (Exception ex) when (RabbitMqTopology.IsArgumentMismatch(ex))
        {
            throw RabbitMqTopology.ArgumentMismatch(ex);
        }
        finally
        {
            await ChannelErrors.CloseQuietlyAsync(ch).ConfigureAwait(false);
            _declareGate.Release();
        }
    }

    public async ValueTask<EnqueueResult> EnqueueAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        var lastEventId = _hub.NextId(job.Id) - 1;
        try
        {
            await PublishAsync(job, lastEventId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            Published(job.Id);
            if (job.Deadline is { } deadline)
            {
                WatchDeadline(job.Id, deadline);
            }

            return EnqueueResult.Accepted;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _publishFailures.Failed(job.Id, ex.Message);
            return EnqueueResult.Unavailable;
        }
    }

    /// <summary>Header of a job republished by the sweep: the worker checks it against the store like a redelivery.</summary>
    public const string RecoveredHeader = "sluice-recovered";

    /// <summary>
    /// The broker confirmed the job: record it in the store (grouped, in the background, retried while the store
    /// is down), so the sweep for journaled-but-never-published jobs leaves it alone.
    /// </summary>
    public void Published(string jobId)
    {
        if (_store is not IJobPublicationStore)
        {
            return;
        }

        _published.Writer.TryWrite(jobId);
        if (_marker is null)
        {
            lock (_published)
            {
                // Not under the first confirmed request's trace and log scope: the loop outlives it and marks every job.
                using (ExecutionContext.SuppressFlow())
                {
                    _marker ??= Task.Run(() => MarkPublishedLoopAsync(_stopping.Token));
                }
            }
        }
    }

    private async Task MarkPublishedLoopAsync(CancellationToken ct)
    {
        var store = (IJobPublicationStore)_store;
        var batch = new List<string>(512);
        try
        {
            while (await _published.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (batch.Count < 512 && _published.Reader.TryRead(out var id))
                {
                    batch.Add(id);
                }

                var backoff = Backoff.First;
                while (true)
                {
                    try
                    {
                        await store.MarkPublishedAsync(batch, _time.GetUtcNow(), ct).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                    {
                        Log.MarkPublishedFailed(_logger, batch.Count, ex.Message);
                        await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                        backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(2));
                    }
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One sweep for jobs journaled but never confirmed (their gateway died in between): claimed in the store
    /// (one gateway each), published again, marked. A job this gateway refused (503) whose failed outcome still waits
    /// for the store is left alone: it is to end failed, not run. Returns how many were republished.
    /// </summary>
    public async Task<int> RepublishUnconfirmedAsync(CancellationToken ct)
    {
        if (_store is not IJobPublicationStore store)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var claimed = await store.ClaimUnpublishedAsync(now - _options.RepublishAfter, now, 100, ct).ConfigureAwait(false);
        var events = _store as IJobEventStore;
        var republished = 0;
        foreach (var record in claimed)
        {
            if (_refusals.IsPending(record.Id))
            {
                // Left claimed: no other gateway's sweep takes it until the claim is RepublishAfter old, and the store
                // that answered this claim takes the refusal at its next try (within 2 s).
                Log.RefusalPending(_logger, record.Id);
                continue;
            }

            var job = QueuedJob.FromRecord(record);
            var lastEventId = events is null ? 0 : await events.GetLastEventIdAsync(job.Id, ct).ConfigureAwait(false);
            await PublishAsync(job, lastEventId, TimeSpan.Zero, ct, recovered: true).ConfigureAwait(false);
            await store.MarkPublishedAsync([job.Id], _time.GetUtcNow(), ct).ConfigureAwait(false);
            Log.Republished(_logger, job.Id);
            republished++;
        }

        return republished;
    }

    /// <summary>
    /// Takes over the deadlines of the unfinished jobs due before <paramref name="dueBefore"/> that this process does
    /// not time yet (their gateway stopped, and its timers with it, or a running job's worker died): each is armed here
    /// as if this gateway had accepted it. Several gateways arming the same job is harmless, since the store settles
    /// it once. Run by every gateway's sweep each round, looking ahead further than a round. Returns how many it armed.
    /// </summary>
    public async Task<int> RearmDeadlinesAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken)
    {
        if (_store is not IJobDeadlineStore store)
        {
            return 0;
        }

        var armed = 0;
        foreach (var d in await store.ListUnfinishedDeadlinesAsync(dueBefore, cancellationToken).ConfigureAwait(false))
        {
            armed += WatchDeadline(d.JobId, d.Deadline) ? 1 : 0;
        }

        return armed;
    }

    /// <summary>
    /// The accepting process keeps a job's deadline: no worker may take the job in time (none running, a deep
    /// backlog), and the client must see it expire when it is due, not whenever a worker dequeues it. A queued job is
    /// settled at the deadline, only while it is still queued (atomically against a worker's MarkRunning); a job a
    /// worker has started is that worker's to stop at its deadline, unless it is still running
    /// <see cref="RabbitMqOptions.RunningDeadlineGrace"/> later: then no worker runs it (its worker was killed or
    /// hangs, and the broker redelivers only to a live one), and it is settled here. A worker that later takes
    /// an expired job finds it finished and drops it; a late outcome is refused.
    /// </summary>
    /// <param name="wakeAt">When to look at the job: its deadline, or for a job found running then, the deadline plus the grace.</param>
    private bool WatchDeadline(string jobId, DateTimeOffset deadline, DateTimeOffset? wakeAt = null)
    {
        // One timer per job in this process, however often the sweep lists it.
        if (!_timed.TryAdd(jobId, 0))
        {
            return false;
        }

        var due = wakeAt ?? deadline;
        // The timer wakes at least every DeadlineCheckStep and lets go of a job that has ended meanwhile, so a job
        // with a distant deadline that finishes early does not hold its timer (and entry) until that deadline.
        ITimer? timer = null;
        timer = _time.CreateTimer(
            state =>
            {
                var left = due - _time.GetUtcNow();
                if (left > TimeSpan.Zero && !_hub.HasEnded(jobId) && !_stopping.IsCancellationRequested)
                {
                    timer?.Change(left < DeadlineCheckStep ? left : DeadlineCheckStep, Timeout.InfiniteTimeSpan);
                    return;
                }

                timer?.Dispose();
                _timed.TryRemove(jobId, out _);
                if (left <= TimeSpan.Zero)
                {
                    _ = ExpireAsync(jobId);
                }
            },
            null,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        var first = due - _time.GetUtcNow();
        timer.Change(first <= TimeSpan.Zero ? TimeSpan.Zero : first < DeadlineCheckStep ? first : DeadlineCheckStep, Timeout.InfiniteTimeSpan);
        return true;
    }

    private async Task ExpireAsync(string jobId)
    {
        if (_hub.HasEnded(jobId) || _stopping.IsCancellationRequested)
        {
            return;
        }

        try
        {
            var record = await _store.GetAsync(jobId, _stopping.Token).ConfigureAwait(false);
            if (record is { Status: Core.Jobs.JobStatus.Queued })
            {
                // A queued job may have run already (it waits out a retry's backoff in a delay queue): its stored attempts
                // say how often, so the error does not claim it never started, as the embedded queue words it too.
                await _hub.SettleAsync(jobId, Core.Jobs.JobStatus.Expired, JobLifecycle.ExpiredBeforeRun(record.Attempts), null, null, onlyIfQueued: true, _stopping.Token).ConfigureAwait(false);
            }
            else if (record is { Status: Core.Jobs.JobStatus.Running, Deadline: { } deadline })
            {
                var grace = _options.RunningDeadlineGrace;
                var now = _time.GetUtcNow();
                if (now < deadline + grace)
                {
                    // Its worker stops it at the deadline and stores the outcome; look again once it had the grace to.
                    WatchDeadline(jobId, deadline, deadline + grace);
                    return;
                }

                // The store settles it only if it is still running with the deadline that far past (a worker that
                // stored its outcome meanwhile wins), and a worker that finishes later has its outcome refused.
                if (await _hub.SettleOverdueRunAsync(jobId, JobLifecycle.ExpiredWhileRunningUnattended(record.Attempts, grace), now - grace, _stopping.Token).ConfigureAwait(false))
                {
                    Log.ExpiredOverdueRun(_logger, jobId, record.Attempts);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A queued job: the worker that dequeues it still expires it (its deadline travels with the message). A
            // running one: the sweep lists it again next round.
            Log.ExpireFailed(_logger, jobId, ex.Message);
        }
    }

    /// <summary>
    /// Publishes a job (persistent, confirmed): to its lane at once, or through the delay tier for a retry.
    /// Throws when the broker refuses it, does not confirm in time, or is unreachable.
    /// </summary>
    public async Task PublishAsync(QueuedJob job, long lastEventId, TimeSpan delay, CancellationToken ct, bool recovered = false)
    {
        var body = JobMessage.Encode(job, job.Attempts, lastEventId);
        var props = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = job.Id,
            Type = "sluice.job",
            Timestamp = new AmqpTimestamp(_time.GetUtcNow().ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?> { ["sluice-attempts"] = job.Attempts },
        };
        if (job.TraceParent is not null)
        {
            props.Headers["traceparent"] = job.TraceParent;
        }

        if (recovered)
        {
            props.Headers[RecoveredHeader] = true;
        }

        var exchange = delay > TimeSpan.FromMilliseconds(50) ? _topology.DelayExchange(RabbitMqTopology.TierFor(delay)) : _topology.WorkExchange;
        var routingKey = RabbitMqTopology.RoutingKey(job.Model, job.Priority);
        // The confirm timeout bounds opening the publisher channel too: on a frozen broker that round trip would wait out
        // the client's 20 s continuation timeout, and the first submit after a start with it.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ConfirmTimeout);
        try
        {
            var ch = await PublisherAsync(timeout.Token).ConfigureAwait(false);
            // mandatory: an unroutable job (lane not declared) comes back as a failed publish instead of vanishing.
            await ch.BasicPublishAsync(exchange, routingKey, mandatory: true, props, body, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // No confirm in time: a broker that is frozen, partitioned or overloaded, while the connection still looks
            // open. Told by the timeout, not the exception's type, which the client does not keep to one.
            var reason = $"RabbitMQ did not confirm a publish within {_options.ConfirmTimeout.TotalSeconds:0.#} s (publisher confirm timeout)";
            Volatile.Write(ref _confirmFailure, reason);
            throw new TimeoutException(reason, ex);
        }
        catch (RabbitMQ.Client.Exceptions.PublishException ex) when (!ex.IsReturn)
        {
            // A nack: the broker could not take the message (a quorum queue without its majority, an internal error).
            Volatile.Write(ref _confirmFailure, $"RabbitMQ refused a publish (publisher confirm nack of sequence number {ex.PublishSequenceNumber})");
            throw;
        }

        // Read before the write so the hot path stores nothing while confirms succeed.
        if (Volatile.Read(ref _confirmFailure) is not null)
        {
            Volatile.Write(ref _confirmFailure, null);
        }

        _publishFailures.Confirmed();
    }

    /// <summary>
    /// Why the latest publisher confirm failed (timed out or nacked), or null once a later publish or probe was confirmed.
    /// Each failure stores a new string, so a probe can tell whether another failure came after the one it was started for.
    /// </summary>
    internal string? ConfirmFailure => Volatile.Read(ref _confirmFailure);

    /// <summary>
    /// A confirmed publish that leaves nothing behind: through the default exchange to a routing key no queue has, not
    /// mandatory, so the broker drops it and confirms at once (nothing is returned or stored), while a frozen or
    /// partitioned broker leaves it unconfirmed as it would a job. Sent on an existing publisher channel, since opening
    /// one is a round trip that would hang the same way. Clears <paramref name="failure"/> when confirmed, unless another
    /// publish failed since. Throws <see cref="TimeoutException"/> without a confirm within <paramref name="timeout"/>.
    /// </summary>
    internal async Task ProbeConfirmAsync(string failure, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var ch = OpenPublisher() ?? await PublisherAsync(cts.Token).ConfigureAwait(false);
            await ch.BasicPublishAsync("", _options.Prefix + ".readiness-probe", mandatory: false, new BasicProperties { Type = "sluice.readiness-probe" }, ReadOnlyMemory<byte>.Empty, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (cts.IsCancellationRequested && !ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            throw new TimeoutException($"a probe publish was not confirmed within {timeout.TotalSeconds:0.0#} s", ex);
        }

        Interlocked.CompareExchange(ref _confirmFailure, null, failure);
    }

    private IChannel? OpenPublisher()
    {
        foreach (var ch in _publishers)
        {
            if (ch is { IsOpen: true })
            {
                return ch;
            }
        }

        return null;
    }

    private async ValueTask<IChannel> PublisherAsync(CancellationToken ct)
    {
        var i = (int)((uint)Interlocked.Increment(ref _next) % PublisherChannels);
        if (_publishers[i] is { } existing)
        {
            return existing;
        }

        await _publisherGate.WaitAsync(ct).ConfigureAwait(false);
        // The client's channel open does not heed cancellation: on a broker that does not answer it waits out its 20 s
        // continuation timeout. The caller stops waiting at its own timeout; the open goes on, holding the gate, and a
        // channel that opens after all is kept for the next publish rather than left open and unused.
        return await OpenPublisherAsync(i).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Opens publisher channel <paramref name="i"/> (the caller took the gate; released here, once the open ends).</summary>
    private async Task<IChannel> OpenPublisherAsync(int i)
    {
        try
        {
            if (_publishers[i] is { } again)
            {
                return again;
            }

            var conn = await _connection.GetAsync(CancellationToken.None).ConfigureAwait(false);
            var ch = await conn.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), CancellationToken.None).ConfigureAwait(false);
            _publishers[i] = ch;
            return ch;
        }
        finally
        {
            _publisherGate.Release();
        }
    }

    public IJobQueueReader GetReader(string model) => _readers.GetOrAdd(model, CreateReader);

    private RabbitMqJobReader CreateReader(string model)
    {
        var capacity = _registry.TryGet(model, out var entry)
            ? (entry.Kind == ModelKind.Generative ? entry.Settings.MaxNumSeqs : entry.Settings.MaxBatchSize)
            : 1;
        var reader = new RabbitMqJobReader(model, Math.Max(1, capacity), _options, _aging, _connection, _topology, this,
            _hub, _store, _live, _time, _logger);
        _ = StartReaderAsync(reader, model);
        return reader;
    }

    private async Task StartReaderAsync(RabbitMqJobReader reader, string model)
    {
        var stalled = false;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await reader.StartAsync(_stopping.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A frozen broker is said once (each try gives it ConfirmTimeout); the reader's 'Consuming' line says it answered.
                if (ex is not TimeoutException || !stalled)
                {
                    Log.ConsumeFailed(_logger, model, ex.Message);
                }

                stalled = ex is TimeoutException;
                await Task.Delay(1000, _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    public QueueDepth GetDepth(string model) => _depths.TryGetValue(model, out var d) ? d : default;

    private async Task PollDepthsAsync(CancellationToken ct)
    {
        IChannel? ch = null;
        var ready = new Dictionary<string, QueueDepth>(StringComparer.Ordinal);
        var stalled = false;
        while (!ct.IsCancellationRequested)
        {
            // The broker's part of a round (a channel open after a failure, the passive declares) gets at most the confirm
            // timeout: on a frozen broker each round trip would wait out the client's 20 s continuation timeout, the
            // channel open without heeding cancellation.
            using var round = CancellationTokenSource.CreateLinkedTokenSource(ct);
            round.CancelAfter(_options.ConfirmTimeout);
            try
            {
                if (ch is null || ch.IsClosed)
                {
                    var conn = await _connection.GetAsync(round.Token).ConfigureAwait(false);
                    ch = await ChannelOpening.OpenAsync(conn, round.Token).ConfigureAwait(false);
                }

                await ReadLanesAsync(ch, ready, round.Token).WaitAsync(round.Token).ConfigureAwait(false);
                if (stalled)
                {
                    stalled = false;
                    Log.DepthPollBack(_logger);
                }

                // The store is read after the broker: a job is journaled before it is published, so every live job the
                // broker counted is still queued in the store unless it left the queue since (started, cancelled).
                var queued = await CountQueuedAsync(ct).ConfigureAwait(false);
                foreach (var (model, inLanes) in ready)
                {
                    _depths[model] = queued is null ? inLanes : Cap(inLanes, queued.TryGetValue(model, out var q) ? q : default);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Broker down, restarting or not answering: keep the last depths and try again.
                if (round.IsCancellationRequested)
                {
                    if (!stalled)
                    {
                        stalled = true;
                        Log.DepthPollStalled(_logger, _options.ConfirmTimeout.TotalSeconds);
                    }

                    // A round trip given up on may still be answered later, leaving the channel's state unknown, and the
                    // round may still be filling its dictionary: both are let go.
                    _ = ChannelErrors.CloseQuietlyAsync(ch).AsTask();
                    ready = new Dictionary<string, QueueDepth>(StringComparer.Ordinal);
                }

                ch = null;
            }

            try
            {
                await Task.Delay(_options.DepthPollInterval, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The ready count of every declared model's lanes, into <paramref name="ready"/>.</summary>
    private async Task ReadLanesAsync(IChannel ch, Dictionary<string, QueueDepth> ready, CancellationToken ct)
    {
        ready.Clear();
        foreach (var model in _depths.Keys)
        {
            var high = await ch.MessageCountAsync(_topology.LaneQueue(model, "high"), ct).ConfigureAwait(false);
            var normal = await ch.MessageCountAsync(_topology.LaneQueue(model, "normal"), ct).ConfigureAwait(false);
            var low = await ch.MessageCountAsync(_topology.LaneQueue(model, "low"), ct).ConfigureAwait(false);
            ready[model] = new QueueDepth((int)high, (int)normal, (int)low);
        }
    }

    /// <summary>
    /// The store's count of queued jobs by model and lane, or null when it keeps none or cannot answer now (the broker's
    /// count stands alone then: never fewer than the messages it really holds). One attempt, waited for at most
    /// <see cref="StoreCountTimeout"/>, and not at all while the store is failing: that count then runs in the
    /// background only to notice the store is back, and the next poll waits for a fresh one (a count started before
    /// this poll read the broker cannot cap what the broker counted since).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, QueueDepth>?> CountQueuedAsync(CancellationToken ct)
    {
        if (_store is not IJobQueuedCountStore store || _counting is { IsCompleted: false })
        {
            return null;
        }

        _countingCancel?.Dispose();
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _countingCancel = cancel;
        var counting = CountOnceAsync(store, cancel.Token);
        _counting = counting;
        if (Volatile.Read(ref _countFailing) == 1)
        {
            return null;
        }

        try
        {
            return await counting.WaitAsync(StoreCountTimeout, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A hung connection or query: give up on it (cancelled, so it frees its connection) and say so once.
            if (Interlocked.Exchange(ref _countFailing, 1) == 0)
            {
                Log.QueuedCountUnavailable(_logger, $"no answer within {StoreCountTimeout.TotalSeconds:0.#} s");
            }

            await cancel.CancelAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>One count; never throws, and logs only when the store starts or stops failing.</summary>
    private async Task<IReadOnlyDictionary<string, QueueDepth>?> CountOnceAsync(IJobQueuedCountStore store, CancellationToken ct)
    {
        try
        {
            var counts = await store.CountQueuedAsync(ct).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _countFailing, 0) == 1)
            {
                Log.QueuedCountBack(_logger);
            }

            return counts;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store outage: submits fail on the journal meanwhile, and readiness reports it.
            if (Interlocked.Exchange(ref _countFailing, 1) == 0)
            {
                Log.QueuedCountUnavailable(_logger, ex.Message);
            }

            return null;
        }
    }

    /// <summary>
    /// A lane's depth: its ready messages, but no more than the jobs the store has queued in it. A job settled while
    /// queued (a cancel, its deadline) keeps its message in the lane until a worker takes and drops it, and must not
    /// hold a <c>max_queue_depth</c> slot meanwhile; a job waiting out a retry in a delay queue is queued in the store
    /// but not ready in its lane.
    /// </summary>
    private static QueueDepth Cap(QueueDepth ready, QueueDepth queued) =>
        new(Math.Min(ready.High, queued.High), Math.Min(ready.Normal, queued.Normal), Math.Min(ready.Low, queued.Low));

    public async ValueTask DisposeAsync()
    {
        // Registered under several service types: the container may dispose the one instance more than once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Store the published markers still pending before stopping: one lost here leaves a confirmed job looking
        // unpublished, and the sweep publishes it again after RepublishAfter (its outcome stays single, but it runs
        // twice). Bounded, since a store that is down would hold the stop forever; the sweep covers what is left.
        _published.Writer.TryComplete();
        if (_marker is { } marker)
        {
            await marker.WaitAsync(MarkerDrainTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!marker.IsCompleted)
            {
                Log.MarkersLeftAtStop(_logger, MarkerDrainTimeout.TotalSeconds);
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var reader in _readers.Values)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        if (_poller is not null)
        {
            await _poller.ConfigureAwait(false);
        }

        // Cancelled with the stop; bounded all the same, since a store that ignores cancellation would hold the stop.
        if (_counting is { } counting)
        {
            await ((Task)counting).WaitAsync(StoreCountTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _countingCancel?.Dispose();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2402, Level = LogLevel.Warning, Message = "Could not start consuming model {Model}: {Error}; retrying")]
        public static partial void ConsumeFailed(ILogger logger, string model, string error);

        [LoggerMessage(EventId = 2404, Level = LogLevel.Warning, Message = "Could not record {Count} published jobs in the store ({Error}); retrying")]
        public static partial void MarkPublishedFailed(ILogger logger, int count, string error);

        [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "Job {JobId} was journaled but never confirmed by the broker; published again")]
        public static partial void Republished(ILogger logger, string jobId);

        [LoggerMessage(EventId = 2407, Level = LogLevel.Warning, Message = "Published markers still pending {Seconds} s into the stop (the store is slow or down); the sweep publishes those jobs again")]
        public static partial void MarkersLeftAtStop(ILogger logger, double seconds);

        [LoggerMessage(EventId = 2403, Level = LogLevel.Warning, Message = "Could not expire job {JobId} at its deadline: {Error}; the worker that takes it (queued) or the next sweep (running) will")]
        public static partial void ExpireFailed(ILogger logger, string jobId, string error);

        [LoggerMessage(EventId = 2408, Level = LogLevel.Warning, Message = "Could not count the store's queued jobs ({Error}); queue depths are the broker's ready counts alone until it answers again")]
        public static partial void QueuedCountUnavailable(ILogger logger, string error);

        [LoggerMessage(EventId = 2409, Level = LogLevel.Information, Message = "The store counts queued jobs again; queue depths are capped by it")]
        public static partial void QueuedCountBack(ILogger logger);

        [LoggerMessage(EventId = 2410, Level = LogLevel.Information, Message = "Job {JobId} looks journaled but never published; not published again: this gateway refused it and its failed outcome waits for the store")]
        public static partial void RefusalPending(ILogger logger, string jobId);

        [LoggerMessage(EventId = 2411, Level = LogLevel.Warning, Message = "RabbitMQ did not answer the poll of queue depths within {Seconds} s; the last depths stand until it does")]
        public static partial void DepthPollStalled(ILogger logger, double seconds);

        [LoggerMessage(EventId = 2412, Level = LogLevel.Information, Message = "RabbitMQ answers the poll of queue depths again")]
        public static partial void DepthPollBack(ILogger logger);

        [LoggerMessage(EventId = 2406, Level = LogLevel.Warning, Message = "Job {JobId} was still running (attempt {Attempt}) well past its deadline with no worker ending it; expired it")]
        public static partial void ExpiredOverdueRun(ILogger logger, string jobId, int attempt);
    }
}
