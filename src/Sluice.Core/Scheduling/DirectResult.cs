using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>Result of a <see cref="DirectInference"/> run.</summary>
public sealed record DirectResult(DirectStatus Status, string? ResultJson = null, InputError Error = default, string? Detail = null);
