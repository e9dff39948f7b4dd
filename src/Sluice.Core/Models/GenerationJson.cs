using System.Text.Json;

namespace Sluice.Core.Models;

/// <summary>
/// Writes a <see cref="GenerationRequest"/> in OpenAI's field names, the one shape both the journaled job input
/// (which is also the result-cache key) and the upstream request bodies of OpenAI-compatible backends use.
/// </summary>
public static class GenerationJson
{
    /// <summary>
    /// True for a field of the journaled shape: the input (<c>prompt</c> or <c>messages</c>), what
    /// <see cref="WriteSampling"/> writes, and the <c>user</c> the OpenAI endpoints add, so that a model reading the
    /// shape back knows what it may meet.
    /// </summary>
    public static bool IsField(string name) =>
        name is "prompt" or "messages" or "max_tokens" or "temperature" or "top_p" or "seed" or "stop" or "user";

    /// <summary>
    /// The journaled job input of a request as the OpenAI endpoints submit it: <c>messages</c> (with <c>user</c>) or
    /// <c>prompt</c>, then the sampling fields. A job moved to a fallback is journaled in the same shape.
    /// </summary>
    public static byte[] InputUtf8(GenerationRequest request)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + request.Prompt.Length);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (request.Messages is { } messages)
            {
                WriteMessages(w, messages);
            }
            else
            {
                w.WriteString("prompt", request.Prompt);
            }

            WriteSampling(w, request);
            if (request.Messages is not null && request.User is { } user)
            {
                w.WriteString("user", user);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <c>"messages": [{ "role", "content" }, …]</c>.</summary>
    public static void WriteMessages(Utf8JsonWriter writer, IReadOnlyList<ChatMessage> messages)
    {
        writer.WriteStartArray("messages");
        for (var i = 0; i < messages.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("role", messages[i].Role);
            writer.WriteString("content", messages[i].Content);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the fields that shape the output: <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c> (when below 1),
    /// <c>seed</c> and <c>stop</c> (when given).
    /// </summary>
    public static void WriteSampling(Utf8JsonWriter writer, GenerationRequest request)
    {
        writer.WriteNumber("max_tokens", request.MaxTokens);
        writer.WriteNumber("temperature", request.Temperature);
        if (request.TopP < 1f)
        {
            writer.WriteNumber("top_p", request.TopP);
        }

        if (request.Seed is { } seed)
        {
            writer.WriteNumber("seed", seed);
        }

        if (request.Stop.Count > 0)
        {
            writer.WriteStartArray("stop");
            for (var i = 0; i < request.Stop.Count; i++)
            {
                writer.WriteStringValue(request.Stop[i]);
            }

            writer.WriteEndArray();
        }
    }
}
