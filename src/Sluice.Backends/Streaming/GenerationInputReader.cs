using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Backends.Templates;
using Sluice.Core.Models;

namespace Sluice.Backends.Streaming;

/// <summary>
/// Maps a job input for a remote generative model, <c>{ "prompt" | "messages", "max_tokens", "temperature",
/// "top_p", "top_k", "seed", "stop", "user" }</c>, to a <see cref="GenerationRequest"/>, naming the field at fault.
/// A field sent as <c>null</c> is not given; integers are read by value (<c>1.0</c> and <c>1e0</c> are 1). A prompt
/// and messages together are refused, naming the second.
/// </summary>
internal static class GenerationInputReader
{
    public const int MaxStopStrings = 16;

    private const string BothGiven = "give a prompt or messages, not both";

    public static bool TryParse(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error)
    {
        request = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", "expected an object { \"prompt\": string } or { \"messages\": [...] }");
            return false;
        }

        var r = new GenerationRequest();
        foreach (var p in input.EnumerateObject())
        {
            var field = "input." + ClientText.Echo(p.Name);
            var v = p.Value;
            switch (p.Name)
            {
                case "prompt" or "messages" or "max_tokens" or "temperature" or "top_p" or "top_k" or "seed" or "stop" or "user" when v.ValueKind == JsonValueKind.Null:
                    // null is "not given", for every field alike, as on the OpenAI endpoints and the engine's input.
                    break;
                case "prompt" when v.ValueKind == JsonValueKind.String:
                    var prompt = v.GetString()!;
                    if (!ControlCharacters.TryCheck(prompt, field, out error))
                    {
                        return false;
                    }

                    if (prompt.Length > 0 && r.Messages is not null)
                    {
                        // Only one of the two reaches the upstream: the other would be dropped without a word.
                        error = new InputError(field, BothGiven);
                        return false;
                    }

                    r = r with { Prompt = prompt };
                    break;
                case "messages":
                    if (!TryMessages(v, field, out var messages, out error))
                    {
                        return false;
                    }

                    if (r.Prompt.Length > 0)
                    {
                        error = new InputError(field, BothGiven);
                        return false;
                    }

                    r = r with { Messages = messages };
                    break;
                case "max_tokens" when JsonInteger.TryGetInt32(v, out var max) && max >= 1:
                    r = r with { MaxTokens = max };
                    break;
                case "temperature" when v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var t) && t is >= 0 and <= 2:
                    r = r with { Temperature = (float)t };
                    break;
                case "top_p" when v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var tp) && tp is > 0 and <= 1:
                    r = r with { TopP = (float)tp };
                    break;
                case "top_k" when JsonInteger.TryGetInt32(v, out var k) && k >= 0:
                    r = r with { TopK = k };
                    break;
                case "seed" when JsonInteger.TryGetUInt64(v, out var seed):
                    r = r with { Seed = seed };
                    break;
                case "stop":
                    if (!TryStop(v, field, out var stop, out error))
                    {
                        return false;
                    }

                    r = r with { Stop = stop };
                    break;
                case "user" when v.ValueKind == JsonValueKind.String:
                    r = r with { User = v.GetString() };
                    break;
                case "prompt" or "max_tokens" or "temperature" or "top_p" or "top_k" or "seed" or "user":
                    error = new InputError(field, Expected(p.Name));
                    return false;
                default:
                    error = new InputError(field, "unknown field; expected prompt, messages, max_tokens, temperature, top_p, top_k, seed, stop or user");
                    return false;
            }
        }

        if (r.Messages is { Count: > 0 } m && r.Prompt.Length == 0)
        {
            r = r with { Prompt = ChatTemplate.Render(m) };
        }

        request = r;
        error = default;
        return true;
    }

    private static string Expected(string name) => name switch
    {
        "prompt" => "expected a string",
        "max_tokens" => "expected an integer of at least 1",
        "temperature" => "expected a number from 0 to 2",
        "top_p" => "expected a number in (0, 1]",
        "top_k" => "expected a non-negative integer",
        "seed" => "expected a non-negative integer",
        _ => "expected a string",
    };

    internal static bool TryMessages(JsonElement v, string field, [NotNullWhen(true)] out List<ChatMessage>? messages, out InputError error)
    {
        messages = null;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            error = new InputError(field, "expected a non-empty array of { \"role\", \"content\" }");
            return false;
        }

        var list = new List<ChatMessage>(v.GetArrayLength());
        var i = 0;
        foreach (var m in v.EnumerateArray())
        {
            var at = $"{field}[{i}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                error = new InputError(at, "expected an object { \"role\", \"content\" }");
                return false;
            }

            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                error = new InputError(at + ".role", "expected a string: system, developer, user, assistant or tool");
                return false;
            }

            foreach (var key in m.EnumerateObject())
            {
                // The fields of OpenAI's message objects; anything else is a typo the client should hear about.
                if (key.Name is not ("role" or "content" or "name" or "tool_call_id" or "tool_calls" or "refusal"))
                {
                    error = new InputError($"{at}.{key.Name}", $"unknown field '{key.Name}'; a message has role, content and optionally name");
                    return false;
                }
            }

            var r = role.GetString()!;
            if (r is not ("system" or "developer" or "user" or "assistant" or "tool"))
            {
                error = new InputError(at + ".role", $"'{r}' is not one of system, developer, user, assistant, tool");
                return false;
            }

            if (!m.TryGetProperty("content", out var content) || !TryContent(content, out var text))
            {
                error = new InputError(at + ".content", "expected a string or an array of { \"type\": \"text\", \"text\": string } parts");
                return false;
            }

            if (!ControlCharacters.TryCheck(text, at + ".content", out error))
            {
                return false;
            }

            list.Add(new ChatMessage(r, text));
            i++;
        }

        messages = list;
        error = default;
        return true;
    }

    /// <summary>Content as a string, or OpenAI's array of text parts joined (other part types are not supported).</summary>
    private static bool TryContent(JsonElement content, out string text)
    {
        text = "";
        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
            return true;
        }

        if (content.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var sb = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || !type.ValueEquals("text")
                || !part.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            sb.Append(t.GetString());
        }

        text = sb.ToString();
        return true;
    }

    /// <summary>A stop string or list; <c>null</c> is no stop (callers treat null alike for every optional field).</summary>
    internal static bool TryStop(JsonElement v, string field, out IReadOnlyList<string> stop, out InputError error)
    {
        stop = [];
        error = default;
        switch (v.ValueKind)
        {
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.String:
                var s = v.GetString()!;
                if (s.Length == 0)
                {
                    error = new InputError(field, "stop strings must not be empty");
                    return false;
                }

                stop = [s];
                return true;
            case JsonValueKind.Array when v.GetArrayLength() <= MaxStopStrings:
                var list = new List<string>(v.GetArrayLength());
                foreach (var e in v.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0)
                    {
                        error = new InputError(field, "expected non-empty strings");
                        return false;
                    }

                    list.Add(e.GetString()!);
                }

                stop = list;
                return true;
            default:
                error = new InputError(field, $"expected a string or an array of at most {MaxStopStrings} strings");
                return false;
        }
    }
}
