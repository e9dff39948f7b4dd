using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sluice.Core;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Core.Tracing;

namespace Sluice.RabbitMq;

/// <summary>
/// The cross-process event hub. Whoever runs a job's attempt assigns its event ids (the gateway that accepted
/// it for <c>queued</c>, then the worker, continuing from the id carried in the message or, after a crash, from
/// the store). Every event is persisted to the store first and then published on the events exchange, so the
/// store always holds at least what any client has seen: a gateway that receives an event after a gap fills it
/// from the store, a gateway that never saw the start of a stream serves it from the store, and a restarted
/// gateway replays from the store with Last-Event-ID. Gateways keep a bounded tail per job for live fan-out.
/// Cancels of jobs running elsewhere go to every worker on the same exchange.
/// </summary>
internal sealed partial class RabbitMqJobEventHub : IJobEventHub, IRemoteCancellation, IHostedService, IAsyncDisposable
{
    private const string EventKey = "event";
    private const string CancelKey = "control.cancel";

    /// <summary>Header of a cancel whose job's Idempotency-Key is freed with the cancelled outcome.</summary>
    private const string ReleaseKeyHeader = "sluice-release-key";
    private const string OriginHeader = "sluice-origin";

    /// <summary>Header of a cancel meant for one run only: <c>attempt:started-at-ms</c> (see <see cref="JobRun"/>).</summary>
    private const string RunHeader = "sluice-run";

    private readonly ConcurrentDictionary<string, HubLog> _logs = new(StringComparer.Ordinal);

    /// <summary>How long a cancel is kept for re-sending (a dead worker's message may take minutes to be redelivered).</summary>
    private static readonly TimeSpan PendingCancelLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Cancels sent again every second (the broker could not take them, or no worker stopped the job), by job id.</summary>
    private readonly ConcurrentDictionary<string, PendingCancel> _pendingCancels = new(StringComparer.Ordinal);
    private readonly Channel<JobEvent> _outbox = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTopology _topology;
    private readonly IJobStore _store;
    private readonly IJobEventStore? _eventStore;
    private readonly LiveJobs _live;
    private readonly SchedulingOptions _role;
    private readonly TimeProvider _time;
    private readonly SluiceMetrics _metrics;
    private readonly ILogger<RabbitMqJobEventHub> _logger;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly byte[] _originBytes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    /// <summary>One delegate for every subscription (each knows its log): no closure per subscriber.</summary>
    private readonly Action<JobEventSubscription> _unsubscribe;
    private IChannel? _publisher;
    private IChannel? _consumer;

    /// <summary>How long the broker gets to answer the hub's setup (<see cref="RabbitMqOptions.ConfirmTimeout"/>).</summary>
    private readonly TimeSpan _setupTimeout;

    /// <summary>The setup still trying in the background after the broker did not answer it at start, if any.</summary>
    private Task? _subscriber;
    private int _open;
    private int _disposed;

    public RabbitMqJobEventHub(RabbitMqConnection connection, RabbitMqTopology topology, IJobStore store, LiveJobs live,
        IOptions<SchedulingOptions> role, IOptions<RabbitMqOptions> options, TimeProvider time, SluiceMetrics metrics, ILogger<RabbitMqJobEventHub> logger)
    {
        _setupTimeout = options.Value.ConfirmTimeout;
        _metrics = metrics;
        _connection = connection;
        _topology = topology;
        _store = store;
        _eventStore = store as IJobEventStore;
        _live = live;
        _role = role.Value;
        _time = time;
        _logger = logger;
        _originBytes = Encoding.UTF8.GetBytes(_origin);
        _unsubscribe = s =>
        {
            s.Log?.Remove(s);
            Interlocked.Decrement(ref _open);
        };
    }

    /// <summary>How long events after missing ids are held back before the missing ones are given up on.</summary>
    private static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(2);

    /// <summary>How long a finished job's tail stays in memory.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromSeconds(60);

    public int OpenSubscriptions => Volatile.Read(ref _open);

    public JobEvent Append(string jobId, string type, string dataJson)
    {
        var log = _logs.GetOrAdd(jobId, static id => new HubLog(id, 0));
        log.TouchedTicks = _time.GetTimestamp();
        var e = log.Append(type, dataJson, _time.GetUtcNow(), log.TouchedTicks, out var accepted);
        if (accepted)
        {
            _outbox.Writer.TryWrite(e);
        }

        return e;
    }

    /// <summary>A delivery of the job says its stream stands at <paramref name="lastId"/> (the worker continues from there).</summary>
    public void Seed(string jobId, long lastId) => Seed(jobId, lastId, null);

    /// <summary>As <see cref="Seed(string, long)"/>, for the run of <paramref name="attempt"/>: its events carry it, and the store refuses them once the job has moved past it.</summary>
    public void Seed(string jobId, long lastId, int? attempt)
    {
        var log = _logs.GetOrAdd(jobId, static (id, last) => new HubLog(id, last), lastId);
        log.TouchedTicks = _time.GetTimestamp();
        log.Seed(lastId, attempt);
    }

    /// <summary>Stamps the job's events from now on with <paramref name="run"/>: the store refuses them once the job has left it.</summary>
    public void BeginRun(string jobId, JobRun run)
    {
        if (_logs.TryGetValue(jobId, out var log))
        {
            log.BeginRun(run);
        }
    }

    public bool TrySubscribe(string jobId, long afterId, [NotNullWhen(true)] out JobEventSubscription? subscription)
    {
        subscription = null;
        if (!_logs.TryGetValue(jobId, out var log))
        {
            return false;
        }

        Interlocked.Increment(ref _open);
        subscription = log.Subscribe(afterId, _unsubscribe);
        if (subscription is null)
        {
            // The tail held here starts after afterId: the caller replays from the store instead.
            Interlocked.Decrement(ref _open);
            return false;
        }

        return true;
    }

    public JobEvent[] Snapshot(string jobId, int room) => _logs.TryGetValue(jobId, out var log) ? log.Snapshot(room) : new JobEvent[room];

    public long NextId(string jobId) => _logs.TryGetValue(jobId, out var log) ? log.LastId + 1 : 1;

    public void Complete(string jobId)
    {
        if (_logs.TryGetValue(jobId, out var log))
        {
            log.Complete(_time.GetTimestamp());
        }
    }

    /// <summary>
    /// Forgets a job's stream at once (a requeue starts it afresh, or the queue refused it), ending its subscribers'
    /// channels: they go on from the store instead of waiting on a log nothing appends to any more.
    /// </summary>
    public void Forget(string jobId)
    {
        if (_logs.TryRemove(jobId, out var log))
        {
            log.Complete(_time.GetTimestamp());
        }
    }

    /// <summary>True while events of the job received after missing ids wait here for those ids (tests watch the gap with it).</summary>
    internal bool IsHoldingAfterGap(string jobId) => _logs.TryGetValue(jobId, out var log) && log.HasHeld;

    /// <summary>True when this process has seen the job's terminal event.</summary>
    public bool HasEnded(string jobId) => _logs.TryGetValue(jobId, out var log) && log.Completed;

    /// <summary>
    /// Cancels a job this process does not run. While it is still queued, the store settles it atomically
    /// against a worker's MarkRunning (the terminal event continues the stored stream); once a worker runs it,
    /// every worker is told and the one running it stops it and writes the outcome.
    /// </summary>
    public async ValueTask CancelRemoteAsync(string jobId, bool releaseIdempotencyKey, JobRun? run, CancellationToken cancellationToken)
    {
        // A cancel for a run read running settles no queued job: queued again, the job waits for that run's retry.
        if (run is null && await SettleCoreAsync(jobId, JobStatus.Cancelled, "cancelled by the client", null, null, onlyIfQueued: true, null, releaseIdempotencyKey, null, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await PublishControlAsync(CancelKey, jobId, releaseIdempotencyKey, run, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueUnavailableException)
        {
            // The caller answers 503; this process also sends the cancel once the broker is back (best effort: lost
            // if this process stops first, hence the 503).
            _pendingCancels[jobId] = new PendingCancel(_time.GetUtcNow() + PendingCancelLifetime, Settled: false, releaseIdempotencyKey, run);
            throw;
        }

        var until = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
        while (_time.GetUtcNow() < until)
        {
            var record = await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (record is null || record.Status.IsTerminal() || !IsIn(record, run))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        }

        // No worker stopped it: a long step, or its worker died and the broker will hand the job to another one,
        // which never saw the cancel (control messages are not queued). The store settles it now, so the cancel
        // holds whatever process looks next, and not only while this gateway lives: a redelivered copy finds the
        // job finished and drops it, a late outcome is refused. The cancel is still repeated, so a copy another
        // worker already started stops too instead of running to its end for nothing.
        // Kept for repeating first, so a store that fails the settle (or a client that leaves) loses no cancel.
        // A run-scoped cancel settles the job only while it is still in that run (the store's run guard).
        var giveUpAt = _time.GetUtcNow() + PendingCancelLifetime;
        _pendingCancels[jobId] = new PendingCancel(giveUpAt, Settled: false, releaseIdempotencyKey, run);
        if (await SettleCoreAsync(jobId, JobStatus.Cancelled, "cancelled by the client", null, null, onlyIfQueued: false, null, releaseIdempotencyKey, run, CancellationToken.None).ConfigureAwait(false))
        {
            _pendingCancels[jobId] = new PendingCancel(giveUpAt, Settled: true, releaseIdempotencyKey, run);
        }
    }

    /// <summary>Whether <paramref name="record"/> is still in <paramref name="run"/> (running it, as stored); always true with no run.</summary>
    private static bool IsIn(JobRecord record, JobRun? run) => run is null
        || (record.Status == JobStatus.Running && record.Attempts == run.Attempt && record.StartedAt is { } started
            && started.ToUnixTimeMilliseconds() == run.StartedAt.ToUnixTimeMilliseconds());

    /// <summary>
    /// Finishes a job that no process is running, in the store (guarded: only a queued job with
    /// <paramref name="onlyIfQueued"/>, else any unfinished one), with its terminal event after the stored ones,
    /// then publishes that event. False when the job was already finished (or, with <paramref name="onlyIfQueued"/>, started).
    /// </summary>
    public ValueTask<bool> SettleAsync(string jobId, JobStatus status, string error, string? errorCode, TimeSpan? retryAfter, bool onlyIfQueued, CancellationToken cancellationToken) =>
        SettleCoreAsync(jobId, status, error, errorCode, retryAfter, onlyIfQueued, null, releaseIdempotencyKey: false, null, cancellationToken);

    /// <summary>
    /// Expires a job still running in the store whose deadline is before <paramref name="deadlineBefore"/>: its worker
    /// would have stopped it and stored the outcome long ago, so none is running it (killed, or hung, and no other
    /// worker took the redelivery). Stored as <see cref="SettleAsync"/> does, guarded against any outcome stored first.
    /// </summary>
    public ValueTask<bool> SettleOverdueRunAsync(string jobId, string error, DateTimeOffset deadlineBefore, CancellationToken cancellationToken) =>
        SettleCoreAsync(jobId, JobStatus.Expired, error, null, null, onlyIfQueued: false, deadlineBefore, releaseIdempotencyKey: false, null, cancellationToken);

    private async ValueTask<bool> SettleCoreAsync(string jobId, JobStatus status, string error, string? errorCode, TimeSpan? retryAfter, bool onlyIfQueued, DateTimeOffset? runningDeadlineBefore, bool releaseIdempotencyKey, JobRun? run, CancellationToken cancellationToken)
    {
        var last = _eventStore is null ? 0 : await _eventStore.GetLastEventIdAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (_logs.TryGetValue(jobId, out var known))
        {
            last = Math.Max(last, known.LastId);
        }

        var now = _time.GetUtcNow();
        errorCode ??= JobErrorCodes.ForStatus(status);
        var data = JobLifecycle.TerminalData(status, null, error, errorCode, retryAfter);
        var terminal = new JobEvent(jobId, last + 1, JobEventTypes.ForStatus(status), data, now);
        var settled = await _store.CompleteAsync(new JobCompletion
        {
            JobId = jobId,
            Status = status,
            Error = error,
            ErrorCode = errorCode,
            RetryAfter = retryAfter,
            CompletedAt = now,
            Events = [terminal],
            OnlyIfQueued = onlyIfQueued,
            OnlyIfRunningPastDeadline = runningDeadlineBefore,
            EventsFollowStored = true,
            ReleaseIdempotencyKey = releaseIdempotencyKey,
            Run = run,
        }, cancellationToken).ConfigureAwait(false);
        if (settled)
        {
            terminal = await StoredTerminalAsync(terminal, last, cancellationToken).ConfigureAwait(false);
            Accept(terminal, force: true);
            _outbox.Writer.TryWrite(terminal);
            await CountFinishedAsync(jobId, status, now).ConfigureAwait(false);
        }

        return settled;
    }

    /// <summary>
    /// Counts a job this process settled in <c>sluice_jobs_finished_total</c>, as a worker counts the outcomes it
    /// stores: the store's guard lets exactly one of them write the outcome, so each job is counted once, and a job
    /// settled here (a cancel or an OpenAI request's held-back job while queued, an expiry, a dead letter) is not
    /// missing from the counts. The model is read back: the settle knows only the job's id. Its duration
    /// (<c>sluice_job_duration_seconds</c>) runs from the acceptance the store keeps, <see cref="JobRecord.CreatedAt"/>,
    /// to <paramref name="completedAt"/>: a requeued dead letter's requeue is not stored, so such a job settled here
    /// counts from its first submission.
    /// </summary>
    private async ValueTask CountFinishedAsync(string jobId, JobStatus status, DateTimeOffset completedAt)
    {
        try
        {
            if (await _store.GetAsync(jobId, CancellationToken.None).ConfigureAwait(false) is { } record)
            {
                var modelTag = new KeyValuePair<string, object?>("model", record.Model);
                var statusTag = new KeyValuePair<string, object?>("status", status.ToWire());
                _metrics.JobsFinished.Add(1, modelTag, statusTag);
                // No run span to point at (no process runs the job): with none current, rather than the exemplar
                // leading to whatever request settled it (a DELETE's own trace).
                var outer = SluiceTracing.MakeCurrent(null);
                _metrics.JobDuration.Record(Math.Max(0, (completedAt - record.CreatedAt).TotalSeconds), modelTag, statusTag);
                SluiceTracing.Restore(null, outer);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The outcome is stored; only its count is lost.
            Log.CountFailed(_logger, jobId, ex.Message);
        }
    }

    /// <summary>
    /// The terminal event as the store numbered it: after an event the run stored while this process settled the job
    /// (a <c>retrying</c> or <c>rerouted</c> racing a cancel), which is served first. The event as sent when the
    /// store keeps no running events or cannot be read back.
    /// </summary>
    private async ValueTask<JobEvent> StoredTerminalAsync(JobEvent terminal, long last, CancellationToken cancellationToken)
    {
        if (_eventStore is null)
        {
            return terminal;
        }

        try
        {
            var stored = await _store.GetEventsAsync(terminal.JobId, last, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < stored.Count; i++)
            {
                if (stored[i].IsTerminal)
                {
                    return stored[i];
                }

                Accept(stored[i], force: false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stored all the same; a reader that finds a different id gets it from the store.
        }

        return terminal;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var conn = await _connection.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SubscribeAsync(conn, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A frozen broker (a hung node, a partition with no reset) must not hold the start: events are stored before
            // they are published and gateways fill their streams from the store, while a cancel that cannot be sent
            // answers 503. The hub subscribes in the background once the broker answers.
            Log.SubscribeStalled(_logger, _setupTimeout.TotalSeconds);
            _subscriber = Task.Run(() => SubscribeLaterAsync(conn, _stopping.Token));
        }

        _loops.Add(Task.Run(() => OutboxLoopAsync(_stopping.Token)));
        _loops.Add(Task.Run(() => MaintenanceLoopAsync(_stopping.Token)));
    }

    /// <summary>Tries again every second until the hub has subscribed (or the process stops).</summary>
    private async Task SubscribeLaterAsync(IConnection conn, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                await SubscribeAsync(conn, ct).ConfigureAwait(false);
                Log.Subscribed(_logger);
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
                Log.SubscribeFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>
    /// Opens the publisher and consumer channels, declares the events exchange and this process's queue, and consumes it.
    /// The broker gets <see cref="RabbitMqOptions.ConfirmTimeout"/> for all of it: on a broker that does not answer, each
    /// round trip would wait out the client's 20 s continuation timeout (a channel open without heeding cancellation).
    /// Throws <see cref="TimeoutException"/> then, having let go of the channels it opened.
    /// </summary>
    private async Task SubscribeAsync(IConnection conn, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_setupTimeout);
        var ct = bound.Token;
        IChannel? publisher = null;
        IChannel? consumerChannel = null;
        try
        {
            publisher = await ChannelOpening.OpenAsync(conn, ct).ConfigureAwait(false);
            await publisher.ExchangeDeclareAsync(_topology.EventsExchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct).WaitAsync(ct).ConfigureAwait(false);
            consumerChannel = await ChannelOpening.OpenAsync(conn, ct).ConfigureAwait(false);
            // One exclusive, server-named queue per process: recreated and rebound by the client after a reconnect.
            var queue = await consumerChannel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, arguments: new Dictionary<string, object?>
            {
                ["x-max-length"] = 200_000,
            }, cancellationToken: ct).WaitAsync(ct).ConfigureAwait(false);
            if (_role.ServesApi)
            {
                await consumerChannel.QueueBindAsync(queue.QueueName, _topology.EventsExchange, EventKey, cancellationToken: ct).WaitAsync(ct).ConfigureAwait(false);
            }

            if (_role.RunsModels)
            {
                await consumerChannel.QueueBindAsync(queue.QueueName, _topology.EventsExchange, CancelKey, cancellationToken: ct).WaitAsync(ct).ConfigureAwait(false);
            }

            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += OnReceivedAsync;
            await consumerChannel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, ct).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Half set up: closed (in the background, as a frozen broker answers the close no sooner), so a late answer
            // leaves neither a second consumer nor an unused channel.
            _ = ChannelErrors.CloseQuietlyAsync(consumerChannel).AsTask();
            _ = ChannelErrors.CloseQuietlyAsync(publisher).AsTask();
            if (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"RabbitMQ did not answer within {_setupTimeout.TotalSeconds:0.#} s", ex);
            }

            throw;
        }

        _consumer = consumerChannel;
        _publisher = publisher;
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs ea)
    {
        try
        {
            if (ea.BasicProperties.Headers is { } h && h.TryGetValue(OriginHeader, out var o) && o is byte[] origin && origin.AsSpan().SequenceEqual(_originBytes))
            {
                return;
            }

            if (ea.RoutingKey == CancelKey)
            {
                var jobId = Encoding.UTF8.GetString(ea.Body.Span);
                if (_live.TryGet(jobId, out var live))
                {
                    // Its client went away unanswered: the worker's cancelled outcome frees the key, as a gateway's would.
                    var release = ea.BasicProperties.Headers?.ContainsKey(ReleaseKeyHeader) == true;
                    if (TryReadRun(ea.BasicProperties.Headers, out var run))
                    {
                        // Meant for one run (the one its client watched): never the retry or requeue that came after it.
                        live.TryCancelRun(run, release);
                    }
                    else
                    {
                        live.CancelStatus = JobStatus.Cancelled;
                        live.ReleaseIdempotencyKey |= release;
                        JobLifecycle.TryCancel(live);
                    }
                }

                return;
            }

            var e = EventMessage.Decode(ea.Body.Span);
            if (!Accept(e, force: false))
            {
                await FillAsync(e.JobId).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReceiveFailed(_logger, ex.Message);
        }
    }

    /// <summary>Applies an event with its id; false when it opened a gap (held until the ids before it are filled from the store or arrive).</summary>
    private bool Accept(JobEvent e, bool force)
    {
        var log = _logs.GetOrAdd(e.JobId, static (id, first) => new HubLog(id, first - 1), e.Id);
        if (log.Completed && e.Id > log.LastId)
        {
            // Only a new stream follows a terminal event (the store refuses anything else): the dead letter was requeued
            // through another gateway, which continued the ids. The run held here is over; serve the new one only.
            var fresh = new HubLog(e.JobId, log.LastId);
            _logs[e.JobId] = fresh;
            log = fresh;
        }

        var now = _time.GetTimestamp();
        log.TouchedTicks = now;
        log.TryAccept(e, force, now, out var gapOpened);
        return !gapOpened;
    }

    /// <summary>
    /// Fetches the events this process missed (a reconnect, another gateway's events) from the store. Events held
    /// after a gap follow on once it is filled.
    /// </summary>
    private async Task FillAsync(string jobId)
    {
        if (!_logs.TryGetValue(jobId, out var log))
        {
            return;
        }

        var missing = await _store.GetEventsAsync(jobId, log.LastId, _stopping.Token).ConfigureAwait(false);
        foreach (var m in missing)
        {
            Accept(m, force: false);
        }
    }

    /// <summary>Persists events (many per statement) before publishing them, so the store never lags what clients saw.</summary>
    private async Task OutboxLoopAsync(CancellationToken ct)
    {
        var batch = new List<JobEvent>(1024);
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < 1024 && reader.TryRead(out var e))
                {
                    batch.Add(e);
                }

                IReadOnlyList<JobEvent> refused = [];
                if (_eventStore is not null)
                {
                    var delay = 100;
                    while (true)
                    {
                        try
                        {
                            refused = await _eventStore.AppendEventsAsync(batch, ct).ConfigureAwait(false);
                            break;
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            // The store is down: hold the events (and their publication) until it is back.
                            Log.PersistFailed(_logger, batch.Count, ex.Message);
                            await Task.Delay(TimeSpan.FromMilliseconds(delay), _time, ct).ConfigureAwait(false);
                            delay = Math.Min(2000, delay * 2);
                        }
                    }
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    // Refused by the store (after the terminal event, or from a superseded run): no client may see it.
                    if (refused.Count > 0 && refused.Contains(batch[i]))
                    {
                        Log.EventRefused(_logger, batch[i].JobId, batch[i].Id, batch[i].Type);
                        continue;
                    }

                    await PublishEventAsync(batch[i], ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async ValueTask PublishEventAsync(JobEvent e, CancellationToken ct)
    {
        if (_publisher is not { IsOpen: true } ch)
        {
            return;
        }

        try
        {
            var props = new BasicProperties { Headers = new Dictionary<string, object?> { [OriginHeader] = _origin }, ContentType = "application/json" };
            await ch.BasicPublishAsync(_topology.EventsExchange, EventKey, mandatory: false, props, EventMessage.Encode(e), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Live delivery only: the event is in the store, and gateways fill gaps and stalls from it.
            Log.PublishFailed(_logger, ex.Message);
        }
    }

    /// <summary>The run a cancel names in its <see cref="RunHeader"/>, when it names one.</summary>
    private static bool TryReadRun(IDictionary<string, object?>? headers, [NotNullWhen(true)] out JobRun? run)
    {
        run = null;
        if (headers is null || !headers.TryGetValue(RunHeader, out var value) || value is not byte[] bytes)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !int.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var attempt)
            || !long.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            return false;
        }

        run = new JobRun(attempt, DateTimeOffset.FromUnixTimeMilliseconds(ms));
        return true;
    }

    private async ValueTask PublishControlAsync(string key, string jobId, bool releaseIdempotencyKey, JobRun? run, CancellationToken ct)
    {
        // A control message that cannot be sent is a cancel the client believes done: say so (503) instead.
        if (_publisher is not { IsOpen: true } ch)
        {
            throw new QueueUnavailableException("the broker is not connected; the cancel was not sent");
        }

        var headers = new Dictionary<string, object?> { [OriginHeader] = _origin };
        if (releaseIdempotencyKey)
        {
            headers[ReleaseKeyHeader] = true;
        }

        if (run is not null)
        {
            headers[RunHeader] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{run.Attempt}:{run.StartedAt.ToUnixTimeMilliseconds()}");
        }

        var props = new BasicProperties { Headers = headers };
        try
        {
            await ch.BasicPublishAsync(_topology.EventsExchange, key, mandatory: false, props, Encoding.UTF8.GetBytes(jobId), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ChannelErrors.IsClosed(ex))
        {
            throw new QueueUnavailableException("the broker is not connected; the cancel was not sent", ex);
        }
    }

    /// <summary>
    /// Every second, sends again the cancels not yet seen through (the broker could not take them, or no worker
    /// stopped the job: its redelivered copy may start on another worker later): until the job has ended, or, for a
    /// job this gateway settled itself (whose copy may still be running somewhere), until the cancel's lifetime is up.
    /// </summary>
    private async ValueTask SendPendingCancelsAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        foreach (var (jobId, pending) in _pendingCancels)
        {
            if (_publisher is not { IsOpen: true })
            {
                return;
            }

            // Each removal below takes out only the cancel as read here: CancelRemoteAsync replaces its unsettled
            // cancel with the settled one right after its settle is stored, and a sweep that read the unsettled one,
            // then found the job ended, would otherwise drop the settled one, leaving a redelivered copy uncancelled.
            if (now > pending.GiveUpAt)
            {
                _pendingCancels.TryRemove(KeyValuePair.Create(jobId, pending));
                continue;
            }

            if (!pending.Settled)
            {
                var record = await _store.GetAsync(jobId, ct).ConfigureAwait(false);
                if (record is null || record.Status.IsTerminal() || !IsIn(record, pending.Run))
                {
                    // Ended, or (a run-scoped cancel) past the run it was meant for.
                    _pendingCancels.TryRemove(KeyValuePair.Create(jobId, pending));
                    continue;
                }
            }

            await PublishControlAsync(CancelKey, jobId, pending.ReleaseIdempotencyKey, pending.Run, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every second: streams with subscribers that went quiet are checked against the store (an event published
    /// while this gateway was disconnected is never redelivered), gaps still open after <see cref="GapPatience"/>
    /// are filled from the store or skipped, and old streams are dropped.
    /// </summary>
    private async Task MaintenanceLoopAsync(CancellationToken ct)
    {
        var lastSweep = _time.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                var now = _time.GetTimestamp();
                foreach (var pair in _logs)
                {
                    var log = pair.Value;
                    if (log.HasHeld && _time.GetElapsedTime(log.HeldSinceTicks, now) > GapPatience)
                    {
                        await FillAsync(pair.Key).ConfigureAwait(false);
                        if (log.HasHeld && _time.GetElapsedTime(log.HeldSinceTicks, now) > GapPatience)
                        {
                            // Neither delivered nor stored (e.g. refused as a superseded run's): go on without them.
                            log.SkipGap(now);
                        }
                    }

                    if (!log.Completed && log.SubscriberCount > 0 && _time.GetElapsedTime(log.TouchedTicks, now) > TimeSpan.FromSeconds(2))
                    {
                        log.TouchedTicks = now;
                        await FillAsync(pair.Key).ConfigureAwait(false);
                        var record = await _store.GetAsync(pair.Key, ct).ConfigureAwait(false);
                        if (record is not null && record.Status.IsTerminal() && !log.Completed)
                        {
                            // Finished without a stored terminal event (e.g. cancelled before any stream existed): end the stream.
                            Accept(Synthesised(record, log.LastId + 1), force: true);
                        }
                    }
                }

                if (!_pendingCancels.IsEmpty)
                {
                    await SendPendingCancelsAsync(ct).ConfigureAwait(false);
                }

                if (_time.GetElapsedTime(lastSweep, now) > TimeSpan.FromSeconds(10))
                {
                    // Not trimmed after a burst, as InMemoryJobEventHub.Sweep says why: a fresh dictionary swapped in
                    // would lose streams the consumer and publishers add during the copy.
                    lastSweep = now;
                    foreach (var pair in _logs)
                    {
                        var log = pair.Value;
                        var expired = log.Completed
                            ? _time.GetElapsedTime(log.CompletedTicks, now) > Retention
                            : log.SubscriberCount == 0 && _time.GetElapsedTime(log.TouchedTicks, now) > TimeSpan.FromMinutes(10);
                        if (expired)
                        {
                            // Only this stream: one that Forget and a new Append put under the key since stays.
                            _logs.TryRemove(pair);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.MaintenanceFailed(_logger, ex.Message);
            }
        }
    }

    private static JobEvent Synthesised(JobRecord job, long id)
    {
        var data = JobLifecycle.TerminalData(job.Status, job.ResultJson, job.Error, job.ErrorCode, job.RetryAfter);
        return new JobEvent(job.Id, id, JobEventTypes.ForStatus(job.Status), data, job.CompletedAt ?? DateTimeOffset.UtcNow);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Publish what is already queued (a stopping worker's last terminal events) before closing.
        _outbox.Writer.TryComplete();
        if (_loops.Count > 0)
        {
            await Task.WhenAny(_loops[0], Task.Delay(TimeSpan.FromSeconds(3), cancellationToken)).ConfigureAwait(false);
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered under several service types: the container may dispose the one instance more than once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_subscriber is { } subscriber)
        {
            // Cancelled with the stop; waited for so a setup finishing now cannot leave its channels open after this.
            await subscriber.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await ChannelErrors.CloseQuietlyAsync(_consumer).ConfigureAwait(false);
        await ChannelErrors.CloseQuietlyAsync(_publisher).ConfigureAwait(false);

        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2501, Level = LogLevel.Warning, Message = "Could not handle an event message: {Error}")]
        public static partial void ReceiveFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "Could not persist {Count} events ({Error}); retrying")]
        public static partial void PersistFailed(ILogger logger, int count, string error);

        [LoggerMessage(EventId = 2503, Level = LogLevel.Debug, Message = "Could not publish an event: {Error}")]
        public static partial void PublishFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2504, Level = LogLevel.Warning, Message = "Event hub maintenance failed: {Error}")]
        public static partial void MaintenanceFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2505, Level = LogLevel.Debug, Message = "Event {EventId} ({Type}) of job {JobId} refused by the store: after the terminal event or from a superseded run")]
        public static partial void EventRefused(ILogger logger, string jobId, long eventId, string type);

        [LoggerMessage(EventId = 2507, Level = LogLevel.Warning, Message = "RabbitMQ did not answer the event hub's setup within {Seconds} s; it subscribes once the broker answers (live events wait, streams are filled from the store, cancels of running jobs answer 503)")]
        public static partial void SubscribeStalled(ILogger logger, double seconds);

        [LoggerMessage(EventId = 2508, Level = LogLevel.Information, Message = "The event hub subscribed to RabbitMQ once it answered")]
        public static partial void Subscribed(ILogger logger);

        [LoggerMessage(EventId = 2509, Level = LogLevel.Warning, Message = "Could not set up the event hub on RabbitMQ ({Error}); retrying")]
        public static partial void SubscribeFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2506, Level = LogLevel.Debug, Message = "Job {JobId} settled, but not counted in sluice_jobs_finished_total: reading its model back failed ({Error})")]
        public static partial void CountFailed(ILogger logger, string jobId, string error);
    }
}
