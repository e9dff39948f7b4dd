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

    /// <summary>Why loading or warm-up failed.</summary>
    public string? Error { get; internal set; }

    /// <summary>The loaded model (null until loaded).</summary>
    public IModel? Model { get; internal set; }

    /// <summary>Version: the loaded model's, else the candidate's.</summary>
    public string Version => Model?.Descriptor.Version ?? Candidate.Version;

    /// <summary>Serialises model execution between the batcher and synchronous (unqueued) requests.</summary>
    internal SemaphoreSlim ExecutionLock { get; } = new(1, 1);

    /// <summary>Recent batch durations, fitted as a + b·n.</summary>
    internal LatencyModel Latency { get; } = new();

    /// <summary>Items in the batch now running (one-shot) or sequences in the running batch (generative).</summary>
    internal int InFlight;
}
