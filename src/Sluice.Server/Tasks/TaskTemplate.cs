using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Server.Tasks;

/// <summary>
/// A named, versioned prompt template with an input schema: it turns a validated input into chat messages that
/// any generative model can run (models without a chat template of their own get Sluice's generic one).
/// </summary>
internal sealed record TaskTemplate
{
    public required string Name { get; init; }

    /// <summary>Bumped whenever the prompt changes, so cached results of an older prompt are never served for a newer one.</summary>
    public required int Version { get; init; }

    public required string Description { get; init; }

    /// <summary>Which seed it serves, for the docs.</summary>
    public string? Seed { get; init; }

    public required IReadOnlyList<TaskField> Fields { get; init; }

    /// <summary>Builds the system and user messages from the input.</summary>
    public required Func<TaskInput, IReadOnlyList<ChatMessage>> Render { get; init; }

    public int MaxTokens { get; init; } = 512;

    public float Temperature { get; init; }

    public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>Named lanes (<c>interactive</c>, <c>batch</c>) a request may pick instead of a raw priority.</summary>
    public IReadOnlyDictionary<string, JobPriority>? Lanes { get; init; }

    /// <summary>Example input for the docs and <c>GET /v1/tasks</c>.</summary>
    public required string Example { get; init; }
}
