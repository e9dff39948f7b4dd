namespace Sluice.Backends.Ollama;

/// <summary>One model of Ollama's <c>GET /api/tags</c>: its tag and the digest of the weights pulled under it (null when not sent).</summary>
internal readonly record struct OllamaTag(string Name, string? Digest);
