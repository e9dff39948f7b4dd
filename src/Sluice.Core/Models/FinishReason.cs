namespace Sluice.Core.Models;

/// <summary>Why a sequence stopped (names follow the OpenAI API).</summary>
public enum FinishReason
{
    /// <summary>Still generating.</summary>
    None,

    /// <summary>End-of-sequence token or a stop string.</summary>
    Stop,

    /// <summary><see cref="GenerationRequest.MaxTokens"/> or the context length was reached.</summary>
    Length,

    /// <summary>Cancelled by the client or expired.</summary>
    Cancelled,

    /// <summary>The model failed.</summary>
    Error,
}
