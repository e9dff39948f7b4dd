using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>A registered model: its candidate, effective settings, lifecycle state and runtime statistics.</summary>
public sealed class ModelEntry
{
    private volatile ModelState _state = ModelState.Loading;

    internal ModelEntry(ModelCandidate candidate, SchedulerSettings settings)
    {
        Candidate = candidate;
        Settings = settings;
    }

    public string Name => Candidate.Name;

    public ModelKind Kind => Candidate.Kind;

    public ModelCandidate Candidate { get; }

    /// <summary>Effective scheduler settings (candidate defaults overridden by configuration).</summary>
    public SchedulerSettings Settings { get; }

    public ModelState State
    {
        get => _state;
        internal set => _state = value;
    }

    /// <summary>Why loading or warm-up failed, as clients see it: paths cut to their file names (<see cref="ModelLoadError"/>).</summary>
    public string? Error { get; internal set; }

    /// <summary>Why a model that is not ready takes no job, after its name: "failed to load: …" or "is loading".</summary>
    internal string NotReadyReason =>
        State == ModelState.Failed ? $"failed to load: {Error}" : $"is {State.ToString().ToLowerInvariant()}";

    /// <summary>The loaded model (null until loaded).</summary>
    public IModel? Model { get; internal set; }

    /// <summary>Version: the loaded model's, else the candidate's.</summary>
    public string Version => Model?.Descriptor.Version ?? Candidate.Version;

    /// <summary>Serialises model execution between the batcher and synchronous (unqueued) requests.</summary>
    internal SemaphoreSlim ExecutionLock { get; } = new(1, 1);

    /// <summary>Recent batch durations (one-shot) or step durations (generative), fitted as a + b·n.</summary>
    internal LatencyModel Latency { get; } = new();

    /// <summary>Recent whole runs of sequences that finished (generative): how long a slot stays taken.</summary>
    internal LatencyModel RunLatency { get; } = new();

    /// <summary>
    /// Timestamp (the batchers' <see cref="TimeProvider"/>) at which the batch now running started, or for generation
    /// the oldest running sequence; <see cref="Idle"/> when nothing runs. A batch running longer than the model
    /// expected proves the expectation too small before any batch has finished.
    /// </summary>
    internal long BusySince = Idle;

    /// <summary><see cref="BusySince"/> when nothing runs.</summary>
    internal const long Idle = long.MinValue;

    /// <summary>Items in the batch now running (one-shot) or sequences in the running batch (generative).</summary>
    internal int InFlight;

    /// <summary>A queued event's data by priority (the same for every job of this model): built once, not per submit.</summary>
    private readonly string?[] _queuedEventData = new string?[3];

    /// <summary>The data of a job's <c>queued</c> event: <c>{"model":…,"priority":…}</c>.</summary>
    internal string QueuedEventData(JobPriority priority)
    {
        var i = (int)priority;
        if ((uint)i >= (uint)_queuedEventData.Length)
        {
            return BuildQueuedEventData(Name, priority);
        }

        // A race builds the same string twice; either copy will do.
        return _queuedEventData[i] ??= BuildQueuedEventData(Name, priority);
    }

    internal static string BuildQueuedEventData(string model, JobPriority priority) =>
        $"{{\"model\":{JsonSerializer.Serialize(model, CoreJsonContext.Default.String)},\"priority\":\"{priority.ToWire()}\"}}";
}
