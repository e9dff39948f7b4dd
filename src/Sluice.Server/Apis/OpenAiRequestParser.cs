using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Backends.Streaming;
using Sluice.Core.Models;

namespace Sluice.Server.Apis;

/// <summary>
/// Reads an OpenAI request body with OpenAI's rules: unknown parameters and unsupported values are refused with
/// the parameter named (<c>param</c>), parameters Sluice cannot honour are accepted only at their neutral value.
/// </summary>
internal static class OpenAiRequestParser
{
    public const int MaxStop = 16;
    public const int MaxUserLength = 256;

    public static bool TryParse(JsonElement root, bool chat, [NotNullWhen(true)] out OpenAiRequest? request, out string error, out string? param)
    {
        request = null;
        string? model = null;
        var r = new OpenAiRequest { Model = "", Chat = chat };
        var hasInput = false;
        var hasStreamOptions = false;
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            param = p.Name;
            switch (p.Name)
            {
                case "model":
                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0)
                    {
                        error = "model must be a non-empty string";
                        return false;
                    }

                    model = v.GetString()!;
                    break;
                case "messages" when chat:
                    if (!GenerationInputReader.TryMessages(v, "messages", out var messages, out var me))
                    {
                        error = me.Message;
                        param = me.Field;
                        return false;
                    }

                    r = r with { Messages = messages };
                    hasInput = true;
                    break;
                case "prompt" when !chat:
                    if (v.ValueKind == JsonValueKind.String)
                    {
                        r = r with { Prompt = v.GetString()! };
                    }
                    else if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 1 && v[0].ValueKind == JsonValueKind.String)
                    {
                        r = r with { Prompt = v[0].GetString()! };
                    }
                    else
                    {
                        error = "prompt must be a string (or an array of exactly one string; token arrays and batches are not supported)";
                        return false;
                    }

                    if (!ControlCharacters.TryCheck(r.Prompt, "prompt", out var pe))
                    {
                        error = pe.Message;
                        return false;
                    }

                    hasInput = true;
                    break;
                case "max_tokens" or "max_completion_tokens":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (!JsonInteger.TryGetInt32(v, out var max) || max < 1)
                    {
                        error = $"{p.Name} must be a whole number from 1 to {int.MaxValue}";
                        return false;
                    }

                    if (r.MaxTokens is { } other && other != max)
                    {
                        // max_tokens is the deprecated spelling of max_completion_tokens: two different limits is a client bug.
                        error = $"max_tokens and max_completion_tokens disagree ({other} and {max}); send one of them";
                        return false;
                    }

                    r = r with { MaxTokens = max };
                    break;
                case "temperature":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is < 0 or > 2)
                    {
                        error = "temperature must be a number from 0 to 2";
                        return false;
                    }

                    r = r with { Temperature = (float)v.GetDouble() };
                    break;
                case "top_p":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is <= 0 or > 1)
                    {
                        error = "top_p must be a number greater than 0 and at most 1";
                        return false;
                    }

                    r = r with { TopP = (float)v.GetDouble() };
                    break;
                case "seed":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    // Non-negative as on POST /v1/jobs: a wrapped negative seed would reach the upstream as 2^64 - 1.
                    if (!JsonInteger.TryGetUInt64(v, out var seed))
                    {
                        error = "seed must be a non-negative integer";
                        return false;
                    }

                    r = r with { Seed = seed };
                    break;
                case "stop":
                    if (!GenerationInputReader.TryStop(v, "stop", out var stop, out var se))
                    {
                        error = se.Message;
                        return false;
                    }

                    r = r with { Stop = stop };
                    break;
                case "user":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > MaxUserLength)
                    {
                        error = $"user must be a string of at most {MaxUserLength} characters";
                        return false;
                    }

                    r = r with { User = v.GetString() };
                    break;
                case "stream":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                    {
                        error = "stream must be a boolean";
                        return false;
                    }

                    r = r with { Stream = v.ValueKind == JsonValueKind.True };
                    break;
                case "stream_options":
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (v.ValueKind != JsonValueKind.Object)
                    {
                        error = "stream_options must be an object";
                        return false;
                    }

                    foreach (var o in v.EnumerateObject())
                    {
                        if (o.NameEquals("include_usage"))
                        {
                            if (o.Value.ValueKind == JsonValueKind.Null)
                            {
                                continue;
                            }

                            if (o.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                            {
                                error = "stream_options.include_usage must be a boolean";
                                param = "stream_options.include_usage";
                                return false;
                            }

                            r = r with { IncludeUsage = o.Value.ValueKind == JsonValueKind.True };
                            hasStreamOptions = true;
                        }
                        else if (o.NameEquals("include_obfuscation"))
                        {
                            hasStreamOptions |= o.Value.ValueKind != JsonValueKind.Null;
                        }
                        else
                        {
                            error = $"stream_options.{o.Name} is not supported";
                            param = "stream_options." + o.Name;
                            return false;
                        }
                    }

                    break;
                case "n" or "best_of":
                    if (v.ValueKind != JsonValueKind.Null && !(JsonInteger.TryGetInt32(v, out var n) && n == 1))
                    {
                        error = $"{p.Name} must be 1: Sluice returns one choice per request";
                        return false;
                    }

                    break;
                case "frequency_penalty" or "presence_penalty":
                    if (v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0))
                    {
                        error = $"{p.Name} is not supported (only 0)";
                        return false;
                    }

                    break;
                case "logprobs" or "top_logprobs" or "echo" or "suffix":
                    if (v.ValueKind is not (JsonValueKind.Null or JsonValueKind.False) && !(v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0))
                    {
                        error = $"{p.Name} is not supported";
                        return false;
                    }

                    break;
                case "logit_bias":
                    if (v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().MoveNext()))
                    {
                        error = "logit_bias is not supported";
                        return false;
                    }

                    break;
                case "response_format":
                    if (v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var t) && t.ValueEquals("text")))
                    {
                        error = "only response_format {\"type\": \"text\"} is supported";
                        return false;
                    }

                    break;
                case "tools" or "functions" or "tool_choice" or "function_call" or "parallel_tool_calls":
                    if (v.ValueKind is not (JsonValueKind.Null or JsonValueKind.False) && !(v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0) && !(v.ValueKind == JsonValueKind.String && v.ValueEquals("none")))
                    {
                        error = $"{p.Name}: tool calling is not supported";
                        return false;
                    }

                    break;
                case "store" or "metadata" or "service_tier":
                    // Accepted for SDK compatibility; they change nothing here.
                    break;
                default:
                    error = $"Unrecognized request argument supplied: {p.Name}";
                    return false;
            }
        }

        param = null;
        if (model is null)
        {
            error = "you must provide a model parameter";
            param = "model";
            return false;
        }

        if (!hasInput)
        {
            error = chat ? "messages is required" : "prompt is required";
            param = chat ? "messages" : "prompt";
            return false;
        }

        // As OpenAI: options for a stream that is not requested are a mistake worth naming, not a silent no-op
        // (options left out, empty or all null are nothing asked for).
        if (hasStreamOptions && !r.Stream)
        {
            error = "stream_options is only allowed when stream is true";
            param = "stream_options";
            return false;
        }

        request = r with { Model = model };
        error = "";
        return true;
    }

    /// <summary>The OpenAI parameter behind a model's input error (<c>input.prompt</c> → <c>messages</c> for chat).</summary>
    public static string ParamOf(string field, bool chat) => field switch
    {
        "input.prompt" or "input" => chat ? "messages" : "prompt",
        _ when field.StartsWith("input.", StringComparison.Ordinal) => field[6..],
        _ => field,
    };

    /// <summary>
    /// Null when the stop list leaves room for the generic chat template's own stop (<c>\nUser:</c>), which a model
    /// without a template of its own needs to end its turn; else the error. Dropping it would let the model write the
    /// user's next turn itself.
    /// </summary>
    public static string? StopRoomError(OpenAiRequest r, bool modelHasTemplate)
    {
        if (!r.Chat || r.Messages is null || modelHasTemplate)
        {
            return null;
        }

        var needed = r.Stop.Count;
        foreach (var s in Sluice.Backends.Templates.ChatTemplate.StopStrings)
        {
            needed += r.Stop.Contains(s) ? 0 : 1;
        }

        return needed <= MaxStop ? null : $"at most {MaxStop - (needed - r.Stop.Count)} stop sequences for this model: its chat template needs the others";
    }

    /// <summary>Builds the core's request; models without a chat template of their own get Sluice's generic one.</summary>
    public static GenerationRequest ToGeneration(OpenAiRequest r, bool modelHasTemplate, int defaultMaxTokens)
    {
        var prompt = r.Prompt;
        var stop = r.Stop;
        if (r.Chat && r.Messages is { } messages)
        {
            prompt = Sluice.Backends.Templates.ChatTemplate.Render(messages);
            if (!modelHasTemplate)
            {
                var combined = new List<string>(stop.Count + Sluice.Backends.Templates.ChatTemplate.StopStrings.Count);
                combined.AddRange(stop);
                foreach (var s in Sluice.Backends.Templates.ChatTemplate.StopStrings)
                {
                    if (!combined.Contains(s) && combined.Count < MaxStop)
                    {
                        combined.Add(s);
                    }
                }

                stop = combined;
            }
        }

        return new GenerationRequest
        {
            Prompt = prompt,
            Messages = modelHasTemplate && r.Chat ? r.Messages : null,
            MaxTokens = r.MaxTokens ?? defaultMaxTokens,
            Temperature = r.Temperature,
            TopP = r.TopP,
            Seed = r.Seed,
            Stop = stop,
            User = r.User,
        };
    }

    /// <summary>
    /// The job input journaled with the request: every field that determines the output (it is the result-cache
    /// key), in the shape the model's own input parser reads back after a restart.
    /// </summary>
    public static JsonElement ToInput(GenerationRequest g)
    {
        using var doc = JsonDocument.Parse(GenerationJson.InputUtf8(g));
        return doc.RootElement.Clone();
    }
}
