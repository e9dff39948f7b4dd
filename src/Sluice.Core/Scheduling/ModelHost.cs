using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Starts the pipeline: initialises the store, declares every model's queue, recovers unfinished jobs from the
/// store, then loads and warms each model and starts its batcher. Readiness waits for all of it.
/// </summary>
internal sealed partial class ModelHost : BackgroundService
{
    private readonly ModelRegistry _registry;
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly IJobEventHub _events;
    private readonly JobLifecycle _lifecycle;
    private readonly SluiceMetrics _metrics;
    private readonly SchedulingOptions _options;
    private readonly ILogger<ModelHost> _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _batchers = [];

    public ModelHost(ModelRegistry registry, IJobStore store, IJobQueue queue, IJobEventHub events, JobLifecycle lifecycle,
        SluiceMetrics metrics, IOptions<SchedulingOptions> options, ILogger<ModelHost> logger, TimeProvider time)
    {
        _registry = registry;
        _store = store;
        _queue = queue;
        _events = events;
        _lifecycle = lifecycle;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    /// <summary>Completes once the store is open and recovery has run (jobs may be accepted).</summary>
    public Task Started => _started.Task;

    /// <summary>Jobs recovered from the store at start.</summary>
    public int Recovered { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var collision in _registry.Collisions)
        {
            Log.ModelNameCollision(_logger, collision);
        }

        await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        foreach (var entry in _registry.All)
        {
            await _queue.DeclareAsync(entry.Name, entry.Settings.MaxQueueDepth, cancellationToken).ConfigureAwait(false);
        }

        RegisterGauges();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long the batchers' stop and the hand-back may still take once the host's <c>ShutdownTimeout</c> has run out.
    /// </summary>
    internal static readonly TimeSpan HandBackGrace = TimeSpan.FromSeconds(5);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Not the host's token alone: a drain that used the whole ShutdownTimeout (a request in flight longer than it)
        // left it cancelled, and the hand-back's writes were refused at once (PostgreSQL honours the token): the jobs
        // stayed running and their next run counted an attempt the stop had cost them. A few seconds more bound it.
        using var handBack = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var spent = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).CancelAfter(HandBackGrace), handBack);
        await base.StopAsync(handBack.Token).ConfigureAwait(false);
        if (_options.RunsModels)
        {
            var released = await _lifecycle.ReleaseRunningAsync(handBack.Token).ConfigureAwait(false);
            if (released > 0)
            {
                Log.Released(_logger, released);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_options.RunsModels && _queue.RecoversFromStore)
            {
                await RecoverAsync(stoppingToken).ConfigureAwait(false);
            }

            _started.TrySetResult();
            var loads = new List<Task>();
            foreach (var entry in _registry.All)
            {
                loads.Add(Task.Run(() => LoadAsync(entry, stoppingToken), stoppingToken));
            }

            await Task.WhenAll(loads).ConfigureAwait(false);
            await Task.WhenAll(_batchers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            throw;
        }
    }

    private async Task LoadAsync(ModelEntry entry, CancellationToken stopping)
    {
        try
        {
            entry.State = ModelState.Loading;
            var model = await entry.Candidate.LoadAsync(stopping).ConfigureAwait(false);
            entry.Model = model;
            entry.State = ModelState.Warming;
            await model.WarmUpAsync(stopping).ConfigureAwait(false);
            entry.State = ModelState.Ready;
            Log.ModelReady(_logger, entry.Name, model.Descriptor.Version, entry.Kind.ToString());
            if (_options.RunsModels)
            {
                var reader = _queue.GetReader(entry.Name);
                Task run = model switch
                {
                    IGenerativeModel g => new ContinuousBatcher(entry, g, reader, _lifecycle, _metrics, _logger).RunAsync(stopping),
                    IBatchModel b => new DynamicBatcher(entry, b, reader, _lifecycle, _metrics, _logger).RunAsync(stopping),
                    _ => throw new InvalidOperationException($"Model {entry.Name} implements neither IBatchModel nor IGenerativeModel."),
                };
                lock (_batchers)
                {
                    _batchers.Add(Task.Run(() => run, stopping));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Clients read it (GET /v1/models, a refused submit): no server folders; the log below has the full path.
            entry.Error = ModelLoadError.Describe(ex);
            entry.State = ModelState.Failed;
            if (ex is ModelFileException or InvalidDataException)
            {
                // A truncated or corrupt model file: its message names the file and the fault, a stack trace adds nothing.
                Log.ModelFileInvalid(_logger, entry.Name, ex.Message);
            }
            else
            {
                Log.ModelFailed(_logger, ex, entry.Name);
            }
        }
    }

    /// <summary>Re-enqueues every job the store holds as queued or running (interrupted by a crash or stop).</summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var unfinished = await _store.LoadUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        var now = _lifecycle.Time.GetUtcNow();

        // The interrupted runs' events were never stored, but clients may hold their ids: a recovered stream goes on
        // from the recovery time in milliseconds x 1,000, beyond any id an earlier run can have issued (that would take
        // over 1,000 events a millisecond) and still exact in a JavaScript number. Ids never name two events, as long
        // as the clock does not step back across the restart (NTP slews; a restore onto a host set far behind would not).
        var idEpoch = now.ToUnixTimeMilliseconds() * 1000;
        foreach (var record in unfinished)
        {
            if (!_registry.TryGet(record.Model, out _))
            {
                // Kept queued: a restart that serves the model again runs it. Its deadline still holds meanwhile (it
                // would otherwise wait past it for ever), and so does a cancel.
                Log.RecoveryUnknownModel(_logger, record.Id, record.Model);
                var waiting = QueuedJob.FromRecord(record);
                _events.Seed(waiting.Id, idEpoch);
                if (waiting.Deadline is { } deadline && deadline <= now)
                {
                    await _lifecycle.FinishAsync(waiting, null, JobStatus.Expired, null, JobLifecycle.ExpiredBeforeRun(waiting), null, 0).ConfigureAwait(false);
                }
                else
                {
                    if (record.Status == JobStatus.Running)
                    {
                        // Interrupted: nothing runs it now, so it must not read "running" while it waits.
                        await _store.ScheduleRetryAsync(record.Id, record.Attempts, null, null, null, now, null, cancellationToken).ConfigureAwait(false);
                    }

                    _lifecycle.Track(waiting);
                }

                continue;
            }

            var job = QueuedJob.FromRecord(record);
            _events.Seed(job.Id, idEpoch);
            _events.Append(job.Id, JobEventTypes.Queued, $"{{\"recovered\":true,\"attempts\":{record.Attempts}}}");
            _lifecycle.Track(job);
            if (record.Attempts >= record.MaxAttempts)
            {
                // It crashed the process (or was interrupted) on its last allowed attempt: a poison job.
                await _lifecycle.FinishAsync(job, null, JobStatus.DeadLettered, null, record.Error ?? "interrupted on its last attempt", null, 0, errorCode: JobErrorCodes.WorkerLost).ConfigureAwait(false);
                continue;
            }

            var delay = record.NotBefore is { } nb && nb > now ? nb - now : TimeSpan.Zero;
            if (_queue is InProcessJobQueue inProcess && delay == TimeSpan.Zero)
            {
                inProcess.Restore(job);
            }
            else
            {
                await _queue.GetReader(job.Model).RetryLaterAsync(job.With(job.Attempts - 1), delay, cancellationToken).ConfigureAwait(false);
            }

            Recovered++;
        }

        if (Recovered > 0)
        {
            Log.Recovered(_logger, Recovered);
        }
    }

    private void RegisterGauges()
    {
        _metrics.CreateGauge("sluice_queue_depth", ObserveDepth, "Jobs waiting, by model and priority.");
        _metrics.CreateGauge("sluice_model_ready", ObserveReady, "1 when the model is ready, 0 otherwise, by model and state.");
        _metrics.CreateGauge("sluice_batch_in_flight", ObserveInFlight, "Items or sequences in the batch running now, by model.");
        _metrics.CreateGauge<int>("sluice_open_streams", () => [new System.Diagnostics.Metrics.Measurement<int>(_events.OpenSubscriptions)], "Open SSE/WebSocket/wait subscriptions.");
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> ObserveDepth()
    {
        foreach (var e in _registry.All)
        {
            var d = _queue.GetDepth(e.Name);
            yield return new(d.High, new("model", e.Name), new("priority", "high"));
            yield return new(d.Normal, new("model", e.Name), new("priority", "normal"));
            yield return new(d.Low, new("model", e.Name), new("priority", "low"));
        }
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> ObserveReady()
    {
        foreach (var e in _registry.All)
        {
            yield return new(e.State == ModelState.Ready ? 1 : 0, new("model", e.Name), new("state", e.State.ToString().ToLowerInvariant()));
        }
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> ObserveInFlight()
    {
        foreach (var e in _registry.All)
        {
            yield return new(Volatile.Read(ref e.InFlight), new KeyValuePair<string, object?>("model", e.Name));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Model {Model} ready (version {Version}, {Kind})")]
        public static partial void ModelReady(ILogger logger, string model, string version, string kind);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Model {Model} failed to load or warm up")]
        public static partial void ModelFailed(ILogger logger, Exception exception, string model);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Model {Model} failed to load: {Problem}")]
        public static partial void ModelFileInvalid(ILogger logger, string model, string problem);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Recovered {Count} unfinished jobs from the store")]
        public static partial void Recovered(ILogger logger, int count);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Stopping: {Count} running jobs handed back to the queue without counting the attempt")]
        public static partial void Released(ILogger logger, int count);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Model name collision: {Problem}")]
        public static partial void ModelNameCollision(ILogger logger, string problem);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Job {JobId} is for unknown model {Model}; left queued in the store until a server that serves the model runs it (its deadline and a cancel still apply)")]
        public static partial void RecoveryUnknownModel(ILogger logger, string jobId, string model);
    }
}
