using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Engine.Serving;

/// <summary>
/// Maps a job input <c>{ "prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop" }</c> to a
/// <see cref="GenerationRequest"/>, naming the field at fault for wrong types, ranges and unknown fields. Every field
/// is optional and <c>null</c> means not given; integers are read by value (<c>1.0</c> and <c>1e0</c> are 1).
/// </summary>
internal static class GenerationInputParser
{
    /// <summary>Longest stop list accepted (OpenAI allows 4; a few more cost nothing).</summary>
    public const int MaxStopStrings = 16;

    public static bool TryParse(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error)
    {
        request = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", $"expected an object {{ \"prompt\": string, \"max_tokens\": int, ... }} but got {Describe(input.ValueKind)}");
            return false;
        }

        var result = new GenerationRequest();
        foreach (var property in input.EnumerateObject())
        {
            var field = "input." + property.Name;
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null && IsField(property.Name))
            {
                // Every field is optional, and null is "not given" (the default applies), as on the OpenAI
                // endpoints: client SDKs send unset optional parameters as null.
                continue;
            }

            switch (property.Name)
            {
                case "prompt":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        error = new InputError(field, $"expected a string but got {Describe(value.ValueKind)}");
                        return false;
                    }

                    var prompt = value.GetString()!;
                    if (!ControlCharacters.TryCheck(prompt, field, out error))
                    {
                        return false;
                    }

                    result = result with { Prompt = prompt };
                    break;
                case "max_tokens":
                    if (!JsonInteger.TryGetInt32(value, out var maxTokens) || maxTokens < 1)
                    {
                        error = new InputError(field, "expected an integer of at least 1");
                        return false;
                    }

                    result = result with { MaxTokens = maxTokens };
                    break;
                case "temperature":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var temperature) || temperature is < 0 or > 100)
                    {
                        error = new InputError(field, "expected a number from 0 (greedy) to 100");
                        return false;
                    }

                    result = result with { Temperature = (float)temperature };
                    break;
                case "top_p":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var topP) || topP is <= 0 or > 1)
                    {
                        error = new InputError(field, "expected a number in (0, 1]");
                        return false;
                    }

                    result = result with { TopP = (float)topP };
                    break;
                case "top_k":
                    if (!JsonInteger.TryGetInt32(value, out var topK) || topK < 0)
                    {
                        error = new InputError(field, "expected an integer of at least 0 (0 disables top-k)");
                        return false;
                    }

                    result = result with { TopK = topK };
                    break;
                case "seed":
                    // The whole ulong range, as the OpenAI endpoints journal it: reading an Int64 failed every
                    // seed of 2^63 or more when a recovered or distributed job was parsed again, and let a negative
                    // one wrap to another seed.
                    if (!JsonInteger.TryGetUInt64(value, out var seed))
                    {
                        error = new InputError(field, "expected a non-negative integer");
                        return false;
                    }

                    result = result with { Seed = seed };
                    break;
                case "stop":
                    if (!TryParseStop(value, field, out var stop, out error))
                    {
                        return false;
                    }

                    result = result with { Stop = stop };
                    break;
                default:
                    error = new InputError(field, "unknown field (expected prompt, max_tokens, temperature, top_p, top_k, seed, stop)");
                    return false;
            }
        }

        request = result;
        error = default;
        return true;
    }

    private static bool IsField(string name) =>
        name is "prompt" or "max_tokens" or "temperature" or "top_p" or "top_k" or "seed" or "stop";

    private static bool TryParseStop(JsonElement value, string field, out IReadOnlyList<string> stop, out InputError error)
    {
        stop = [];
        error = default;
        if (value.ValueKind == JsonValueKind.String)
        {
            var single = value.GetString()!;
            if (single.Length == 0)
            {
                error = new InputError(field, "stop strings must not be empty");
                return false;
            }

            stop = [single];
            return true;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            error = new InputError(field, $"expected an array of strings but got {Describe(value.ValueKind)}");
            return false;
        }

        var list = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length == 0)
            {
                error = new InputError($"{field}[{i}]", "expected a non-empty string");
                return false;
            }

            list.Add(item.GetString()!);
            i++;
        }

        if (list.Count > MaxStopStrings)
        {
            error = new InputError(field, $"at most {MaxStopStrings} stop strings are allowed, got {list.Count}");
            return false;
        }

        stop = list;
        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
