using System.Diagnostics.CodeAnalysis;

namespace Sluice.Backends.Configuration;

/// <summary>Configuration names of <see cref="BackendKind"/>.</summary>
public static class BackendKinds
{
    public const string OpenAi = "openai";
    public const string Ollama = "ollama";
    public const string KServeV2 = "kserve-v2";

    public static bool TryParse(string? value, [NotNullWhen(true)] out BackendKind? kind)
    {
        kind = value?.ToLowerInvariant() switch
        {
            OpenAi => BackendKind.OpenAi,
            Ollama => BackendKind.Ollama,
            KServeV2 or "kserve" or "triton" => BackendKind.KServeV2,
            _ => null,
        };
        return kind is not null;
    }
}
