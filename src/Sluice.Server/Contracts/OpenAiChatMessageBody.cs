namespace Sluice.Server.Contracts;

/// <summary>One message of an OpenAI chat request (documentation type).</summary>
/// <param name="Role">system, developer, user, assistant or tool.</param>
/// <param name="Content">The message text (or text parts; see <c>OpenAiBodySchemaTransformer</c>).</param>
/// <param name="Name">The author's name (accepted, not used).</param>
public sealed record OpenAiChatMessageBody(string Role, string Content, string? Name);
