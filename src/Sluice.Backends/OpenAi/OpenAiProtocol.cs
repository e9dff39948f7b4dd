using System.Text;
using System.Text.Json;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;
using Sluice.Core.Models;

namespace Sluice.Backends.OpenAi;

/// <summary>
/// Streams from any OpenAI-compatible server: <c>POST {base}/chat/completions</c> (messages) or
/// <c>POST {base}/completions</c> (prompt) with <c>stream: true</c>, reading Server-Sent Events chunk by chunk until
/// <c>data: [DONE]</c>; each content chunk is passed on as a delta, in order. Health: <c>GET {base}/models</c>.
/// </summary>
internal sealed class OpenAiProtocol(UpstreamClient upstream, string upstreamModel) : IStreamingProtocol
{
    private bool Chat => upstream.Options.Api == "chat";

    /// <summary>OpenAI's API names no weights revision, so none (see docs/api.md on upstreams that swap weights).</summary>
    public string? Revision => null;

    public Task StreamAsync(GenerationRequest request, RemoteSequence sink, CancellationToken cancellationToken) =>
        upstream.ExecuteAsync(static (s, ct) => s.Self.AttemptAsync(s.Request, s.Sink, ct), (Self: this, Request: request, Sink: sink), cancellationToken);

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, upstream.Url("models"));
        using var response = await upstream.SendAsync(message, idempotent: true, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> AttemptAsync(GenerationRequest request, RemoteSequence sink, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, upstream.Url(Chat ? "chat/completions" : "completions"))
        {
            Content = UpstreamJson.Content(w => WriteBody(w, request)),
        };
        message.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await upstream.SendAsync(message, idempotent: false, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            // A server that ignores stream:true answers with one completion object.
            ReadWhole(await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false), sink);
            return true;
        }

        var finish = FinishReason.None;
        while (true)
        {
            var line = await UpstreamJson.ReadLineAsync(reader, upstream, cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                if (finish != FinishReason.None)
                {
                    break; // some servers close after the last chunk without [DONE]
                }

                throw new UpstreamException($"backend '{upstream.Name}': the stream ended before [DONE]", null, false, true);
            }

            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue; // comments (": keep-alive"), event:, id:, blank separators
            }

            var data = line.AsSpan(5).Trim();
            if (data.SequenceEqual("[DONE]"))
            {
                break;
            }

            ReadChunk(data.ToString(), sink, ref finish);
        }

        sink.Complete(finish == FinishReason.None ? FinishReason.Stop : finish);
        return true;
    }

    private void WriteBody(Utf8JsonWriter w, GenerationRequest r)
    {
        w.WriteStartObject();
        w.WriteString("model", upstreamModel);
        if (Chat)
        {
            if (r.Messages is { Count: > 0 } messages)
            {
                GenerationJson.WriteMessages(w, messages);
            }
            else
            {
                GenerationJson.WriteMessages(w, [new ChatMessage("user", r.Prompt)]);
            }
        }
        else
        {
            w.WriteString("prompt", r.Prompt);
        }

        GenerationJson.WriteSampling(w, r);
        if (r.User is { } user)
        {
            w.WriteString("user", user);
        }

        w.WriteBoolean("stream", true);
        w.WriteStartObject("stream_options");
        w.WriteBoolean("include_usage", true);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void ReadChunk(string json, RemoteSequence sink, ref FinishReason finish)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("a chunk is not a JSON object");
            }

            if (root.TryGetProperty("error", out var error))
            {
                throw new UpstreamException($"backend '{upstream.Name}': the upstream reported an error mid-stream: {ErrorText(error)}", null, false, true);
            }

            ReadUsage(root, sink);
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    string? text = null;
                    if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                        && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    {
                        text = content.GetString();
                    }
                    else if (choice.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    {
                        text = t.GetString();
                    }

                    if (!string.IsNullOrEmpty(text))
                    {
                        sink.Push(text, 1);
                    }

                    if (choice.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String)
                    {
                        finish = Finish(CheckNotCutShort(fr.GetString()));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw UpstreamJson.Malformed(upstream, "a stream chunk", ex);
        }
    }

    private void ReadWhole(string json, RemoteSequence sink)
    {
        var finish = FinishReason.Stop;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            ReadUsage(root, sink);
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var c = choices[0];
                var text = c.TryGetProperty("message", out var m) && m.TryGetProperty("content", out var mc) && mc.ValueKind == JsonValueKind.String ? mc.GetString()
                    : c.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (!string.IsNullOrEmpty(text))
                {
                    sink.Push(text, 1);
                }

                if (c.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String)
                {
                    finish = Finish(CheckNotCutShort(fr.GetString()));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw UpstreamJson.Malformed(upstream, "the completion", ex);
        }

        sink.Complete(finish);
    }

    private static void ReadUsage(JsonElement root, RemoteSequence sink)
    {
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            int? prompt = usage.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pv) ? pv : null;
            int? completion = usage.TryGetProperty("completion_tokens", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var cv) ? cv : null;
            sink.SetUsage(prompt, completion);
        }
    }

    private static string ErrorText(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : error.GetRawText();

    /// <summary>
    /// Throws for a finish_reason by which the upstream says it cut the generation short rather than ended it: vLLM's
    /// <c>abort</c> (the request aborted upstream: preempted, the server stopping) and <c>error</c>. Read as a clean
    /// stop, the cut text was stored as a success and, for a greedy or seeded request, answered from the result cache
    /// from then on.
    /// </summary>
    private string? CheckNotCutShort(string? reason) => reason is "abort" or "error"
        ? throw new UpstreamException($"backend '{upstream.Name}': the upstream cut the generation short (finish_reason \"{reason}\")", null, false, true)
        : reason;

    internal static FinishReason Finish(string? reason) => reason switch
    {
        "length" => FinishReason.Length,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };
}
