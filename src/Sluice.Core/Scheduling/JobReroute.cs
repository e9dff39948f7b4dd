namespace Sluice.Core.Scheduling;

/// <summary>Where a job moves when its model cannot take it: the model, why, and its input in that model's form.</summary>
/// <param name="Model">The model it runs on instead.</param>
/// <param name="ModelVersion">That model's version (recorded with the job, as at submission).</param>
/// <param name="Reason">Why, e.g. <c>remote is circuit_open</c> (the job's <c>rerouted</c> event and <c>X-Sluice-Fallback</c>).</param>
/// <param name="InputJson">The journaled input for that model.</param>
/// <param name="Parsed">That model's parsed input (spares its batcher a parse), or null.</param>
/// <param name="FromModelVersion">The version of the model left (restored if the fallback's queue refuses the job).</param>
public sealed record JobReroute(string Model, string? ModelVersion, string Reason, string InputJson, object? Parsed, string? FromModelVersion);
