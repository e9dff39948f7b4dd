namespace Sluice.Core.Models;

/// <summary>
/// Finds models to serve (built-ins, files in a models folder, a trained grader …). Register implementations
/// with <c>services.AddSingleton&lt;IModelSource, T&gt;()</c>; the server loads every candidate at start.
/// </summary>
public interface IModelSource
{
    /// <summary>Candidates this source offers; cheap (no loading here).</summary>
    IReadOnlyList<ModelCandidate> Discover();
}
