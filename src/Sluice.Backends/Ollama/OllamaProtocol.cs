using System.Text;
using System.Text.Json;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;
using Sluice.Core.Models;

namespace Sluice.Backends.Ollama;

/// <summary>
/// Streams from Ollama's native API: <c>POST /api/chat</c> (messages) or <c>POST /api/generate</c> (prompt) with
/// <c>stream: true</c>, one JSON object per line (NDJSON) until <c>"done": true</c>, which carries the token counts.
/// Health: <c>GET /api/tags</c> must list the model; the probe also records every tag's digest in
/// <paramref name="digests"/>, which is this model's <see cref="Revision"/>.
/// </summary>
internal sealed class OllamaProtocol(UpstreamClient upstream, string upstreamModel, OllamaDigests digests) : IStreamingProtocol
{
    public string? Revision => digests.Find(upstreamModel);

    public Task StreamAsync(GenerationRequest request, RemoteSequence sink, CancellationToken cancellationToken) =>
        upstream.ExecuteAsync(static (s, ct) => s.Self.AttemptAsync(s.Request, s.Sink, ct), (Self: this, Request: request, Sink: sink), cancellationToken);

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var tags = await OllamaTags.ListAsync(upstream, cancellationToken).ConfigureAwait(false);
        digests.Record(tags);
        foreach (var tag in tags)
        {
            if (OllamaTags.SameModel(tag.Name, upstreamModel))
            {
                return;
            }
        }

        throw new UpstreamException($"backend '{upstream.Name}': Ollama does not have model '{upstreamModel}' (ollama pull {upstreamModel})", 404, false, false);
    }

    private async ValueTask<bool> AttemptAsync(GenerationRequest request, RemoteSequence sink, CancellationToken cancellationToken)
    {
        var chat = request.Messages is { Count: > 0 };
        using var message = new HttpRequestMessage(HttpMethod.Post, upstream.Url(chat ? "api/chat" : "api/generate"))
        {
            Content = UpstreamJson.Content(w => WriteBody(w, request, chat)),
        };
        using var response = await upstream.SendAsync(message, idempotent: false, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            var line = await UpstreamJson.ReadLineAsync(reader, upstream, cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                throw new UpstreamException($"backend '{upstream.Name}': the stream ended before \"done\": true", null, false, true);
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (ReadLine(line, sink, chat))
            {
                return true;
            }
        }
    }

    private void WriteBody(Utf8JsonWriter w, GenerationRequest r, bool chat)
    {
        w.WriteStartObject();
        w.WriteString("model", upstreamModel);
        if (chat)
        {
            w.WriteStartArray("messages");
            var messages = r.Messages!;
            for (var i = 0; i < messages.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("role", messages[i].Role == "developer" ? "system" : messages[i].Role);
                w.WriteString("content", messages[i].Content);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("prompt", r.Prompt);
        }

        w.WriteBoolean("stream", true);
        w.WriteStartObject("options");
        w.WriteNumber("num_predict", r.MaxTokens);
        w.WriteNumber("temperature", r.Temperature);
        if (r.TopP < 1f)
        {
            w.WriteNumber("top_p", r.TopP);
        }

        if (r.TopK > 0)
        {
            w.WriteNumber("top_k", r.TopK);
        }

        if (r.Seed is { } seed)
        {
            w.WriteNumber("seed", seed);
        }

        UpstreamJson.WriteStop(w, "stop", r.Stop);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Handles one NDJSON line; true on the final (<c>done</c>) line.</summary>
    private bool ReadLine(string line, RemoteSequence sink, bool chat)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("a line is not a JSON object");
            }

            if (root.TryGetProperty("error", out var error))
            {
                throw new UpstreamException($"backend '{upstream.Name}': Ollama reported an error mid-stream: {(error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText())}", null, false, true);
            }

            string? text = null;
            if (chat && root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            {
                text = c.GetString();
            }
            else if (!chat && root.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.String)
            {
                text = r.GetString();
            }

            if (!string.IsNullOrEmpty(text))
            {
                sink.Push(text, 1);
            }

            if (root.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.True)
            {
                int? prompt = root.TryGetProperty("prompt_eval_count", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
                int? completion = root.TryGetProperty("eval_count", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;
                sink.SetUsage(prompt, completion);
                var reason = root.TryGetProperty("done_reason", out var dr) && dr.ValueKind == JsonValueKind.String ? dr.GetString() : "stop";
                sink.Complete(reason == "length" ? FinishReason.Length : FinishReason.Stop);
                return true;
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw UpstreamJson.Malformed(upstream, "a stream line", ex);
        }
    }
}
