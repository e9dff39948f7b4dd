namespace Sluice.Core.Models;

/// <summary>
/// One sequence in flight inside a generative model (it owns its KV cache blocks, sampler and decoder state).
/// Disposing it returns its resources to the model.
/// </summary>
public interface IGenerationSequence : IDisposable
{
    /// <summary>The request it serves.</summary>
    GenerationRequest Request { get; }

    /// <summary>Tokens in the prompt (for usage reporting).</summary>
    int PromptTokens { get; }

    /// <summary>Tokens generated so far.</summary>
    int GeneratedTokens { get; }
}
