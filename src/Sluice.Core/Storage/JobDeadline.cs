namespace Sluice.Core.Storage;

/// <summary>An unfinished (queued or running) job's deadline, as <see cref="IJobDeadlineStore"/> lists it.</summary>
public readonly record struct JobDeadline(string JobId, DateTimeOffset Deadline);
