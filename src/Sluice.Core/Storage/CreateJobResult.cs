using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>Outcome of <see cref="IJobStore.CreateAsync"/>.</summary>
/// <param name="Job">The job now stored: the new one, or the original one for a replayed idempotency key.</param>
/// <param name="Created">False when an earlier job with the same owner and idempotency key exists.</param>
public readonly record struct CreateJobResult(JobRecord Job, bool Created);
