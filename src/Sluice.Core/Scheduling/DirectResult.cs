using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Result of a <see cref="DirectInference"/> run; a failed one says why in <paramref name="ErrorCode"/> (one of
/// <see cref="Jobs.JobErrorCodes"/>) with the wait the failure asked for, <paramref name="RetryAfter"/>.
/// </summary>
public sealed record DirectResult(DirectStatus Status, string? ResultJson = null, InputError Error = default, string? Detail = null, string? ErrorCode = null, TimeSpan? RetryAfter = null);
