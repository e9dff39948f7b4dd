namespace Sluice.Server.Contracts;

/// <summary>
/// The body of <c>POST /v1/completions</c> (documentation type; validated like that of <c>POST /v1/chat/completions</c>:
/// null is the same as left out, integers are read by value).
/// </summary>
/// <param name="Model">Model name from <c>GET /v1/models</c>.</param>
/// <param name="Prompt">The text to continue.</param>
/// <param name="MaxTokens">Tokens to generate at most; default 256.</param>
/// <param name="MaxCompletionTokens">The same limit as <c>max_tokens</c> (OpenAI's newer name); two different values are a 400.</param>
/// <param name="Temperature">0 (greedy) to 2; default 1.</param>
/// <param name="TopP">Nucleus sampling mass, (0, 1]; default 1.</param>
/// <param name="Seed">Sampling seed: the same seed gives the same text, whatever else is in the batch.</param>
/// <param name="Stop">A stop sequence, or up to 16 (a string or an array of strings).</param>
/// <param name="User">The end user, for logs.</param>
/// <param name="Stream">True for Server-Sent Events chunks.</param>
/// <param name="StreamOptions">Streaming options.</param>
public sealed record OpenAiCompletionBody(string Model, string Prompt, int? MaxTokens, int? MaxCompletionTokens, float? Temperature, float? TopP, ulong? Seed, IReadOnlyList<string>? Stop, string? User, bool? Stream, OpenAiStreamOptionsBody? StreamOptions);
