namespace Sluice.Core.Storage;

/// <summary>
/// The identity of one run of a job, as the store recorded it when the run started: its attempt and the start time
/// (stored in milliseconds). Attempts alone do not tell runs apart: a requeued dead letter counts them from zero again.
/// </summary>
/// <param name="Attempt">The run's attempt (1-based), as passed to <see cref="IJobStore.MarkRunningAsync"/>.</param>
/// <param name="StartedAt">The start time passed with it.</param>
public sealed record JobRun(int Attempt, DateTimeOffset StartedAt);
