namespace Sluice.Core.Models;

/// <summary>A model-independent generation request (job input of a generative model, or an OpenAI request).</summary>
public sealed record GenerationRequest
{
    /// <summary>Prompt text (models that ignore prompts, like <c>count</c>, may leave it empty).</summary>
    public string Prompt { get; init; } = "";

    /// <summary>Largest number of tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>0 means greedy (argmax).</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling threshold in (0, 1]; 1 disables it.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens; 0 disables it.</summary>
    public int TopK { get; init; }

    /// <summary>Per-request RNG seed; the same seed gives the same text whatever else is in the batch.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Generation stops before any of these strings would be emitted.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>
    /// The chat turns the prompt was rendered from, for models that apply their own chat template (a remote chat
    /// endpoint); null for plain completions. Models without a template of their own use <see cref="Prompt"/>.
    /// </summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Opaque end-user id (OpenAI's <c>user</c>), passed on to upstreams that take one.</summary>
    public string? User { get; init; }

    /// <summary>True when the output is a pure function of the request (greedy, or seeded) and may be cached.</summary>
    public bool IsDeterministic => Temperature == 0f || Seed.HasValue;
}
