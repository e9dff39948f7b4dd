namespace Sluice.Backends.Configuration;

/// <summary>The protocol a backend speaks to its upstream.</summary>
public enum BackendKind
{
    /// <summary>Any OpenAI-compatible server (<c>/v1/chat/completions</c>, <c>/v1/completions</c>): OpenAI, vLLM, llama.cpp, LM Studio, TGI.</summary>
    OpenAi,

    /// <summary>Ollama's native API (<c>/api/chat</c>, <c>/api/generate</c>, <c>/api/tags</c>).</summary>
    Ollama,

    /// <summary>The KServe v2 / Triton REST inference protocol (<c>/v2/models/{name}/infer</c>).</summary>
    KServeV2,
}
