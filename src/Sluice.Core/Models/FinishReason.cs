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

    /// <summary>
    /// The provider's content filter ended it (a remote backend's <c>content_filter</c>): an answer, returned as one, but
    /// never cached, since it follows the provider's policy at that moment rather than the request.
    /// </summary>
    ContentFilter,
}
