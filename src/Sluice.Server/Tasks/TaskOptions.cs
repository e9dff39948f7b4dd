namespace Sluice.Server.Tasks;

/// <summary>Which model runs the tasks (section <c>Sluice:Tasks</c>).</summary>
public sealed class TaskOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Tasks";

    /// <summary>
    /// Model for every task; unset: the first ready and available backend generative model, else the engine's local
    /// model (any ready generative model other than the <c>count</c> test model), else a backend that is down.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>Per-task model (<c>Sluice:Tasks:Models:codegen=…</c>), over <see cref="Model"/>.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);
}
