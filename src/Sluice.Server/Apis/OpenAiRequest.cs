using Sluice.Core.Models;

namespace Sluice.Server.Apis;

/// <summary>A validated OpenAI chat or text completion request.</summary>
internal sealed record OpenAiRequest
{
    public required string Model { get; init; }

    /// <summary>True for <c>/v1/chat/completions</c>.</summary>
    public bool Chat { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    public string Prompt { get; init; } = "";

    /// <summary>Null: the server's default.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>OpenAI's default is 1.</summary>
    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    public ulong? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public string? User { get; init; }

    public bool Stream { get; init; }

    /// <summary><c>stream_options.include_usage</c>: a last chunk with usage and no choices.</summary>
    public bool IncludeUsage { get; init; }
}
