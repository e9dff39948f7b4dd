namespace Sluice.Backends.Streaming;

/// <summary>
/// A generative model that applies its own chat template: it takes <c>GenerationRequest.Messages</c> as they
/// are, so the server sends it the messages rather than a prompt rendered by Sluice's generic template.
/// </summary>
public interface IChatModel
{
}
