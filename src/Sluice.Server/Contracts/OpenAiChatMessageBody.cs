namespace Sluice.Server.Contracts;

/// <summary>One message of an OpenAI chat request (documentation type).</summary>
/// <param name="Role">system, user or assistant.</param>
/// <param name="Content">The message text.</param>
public sealed record OpenAiChatMessageBody(string Role, string Content);
