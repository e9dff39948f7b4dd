using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>Result of <see cref="JobService.SubmitAsync"/>.</summary>
public sealed record SubmitOutcome(SubmitStatus Status, JobRecord? Job = null, InputError Error = default, TimeSpan RetryAfter = default, string? Detail = null);
