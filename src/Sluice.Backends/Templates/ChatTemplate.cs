using System.Text;
using Sluice.Core.Models;

namespace Sluice.Backends.Templates;

/// <summary>
/// The generic chat template for models without one of their own (base models such as the local engine's
/// checkpoints): role-labelled turns, ending with an open <c>Assistant:</c> turn for the model to continue.
/// </summary>
public static class ChatTemplate
{
    /// <summary>Stops generation when a base model starts writing the next user turn itself.</summary>
    public static readonly IReadOnlyList<string> StopStrings = ["\nUser:"];

    public static string Render(IReadOnlyList<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            sb.Append(Label(m.Role)).Append(": ").Append(m.Content.Trim()).Append("\n\n");
        }

        sb.Append("Assistant:");
        return sb.ToString();
    }

    private static string Label(string role) => role switch
    {
        "system" or "developer" => "System",
        "assistant" => "Assistant",
        "tool" => "Tool",
        _ => "User",
    };
}
