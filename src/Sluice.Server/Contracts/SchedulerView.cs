namespace Sluice.Server.Contracts;

/// <summary>Effective scheduler settings of a model.</summary>
public sealed record SchedulerView(string Type, int MaxBatchSize, double MaxQueueDelayMs, int MaxNumSeqs, int MaxQueueDepth, int MaxAttempts, int DefaultDeadlineMs);
