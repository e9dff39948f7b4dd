namespace Sluice.Core.Storage;

/// <summary>A queued job's deadline, as <see cref="IJobDeadlineStore"/> lists it.</summary>
public readonly record struct QueuedDeadline(string JobId, DateTimeOffset Deadline);
