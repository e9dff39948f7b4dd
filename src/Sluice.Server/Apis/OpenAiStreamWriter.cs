using System.Buffers;
using System.Diagnostics;
using System.Text.Json;

namespace Sluice.Server.Apis;

/// <summary>
/// Writes OpenAI's streaming format: one <c>data: {chunk}</c> Server-Sent Event per delta, a last chunk with the
/// finish reason, optionally a usage chunk, then <c>data: [DONE]</c>. One buffer and one JSON writer are reused for
/// every chunk of the response, so a token costs no allocation beyond its text.
/// </summary>
internal sealed class OpenAiStreamWriter(Stream body, string id, long created, string model, bool chat) : IDisposable
{
    private static readonly byte[] s_data = "data: "u8.ToArray();
    private static readonly byte[] s_end = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] s_keepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private Utf8JsonWriter? _json;
    private long _lastWrite = Stopwatch.GetTimestamp();

    /// <summary>The model named in each chunk: the fallback's once the job moved there (the headers went out before).</summary>
    public string Model { get; set; } = model;

    /// <summary>
    /// How long the client has had nothing: the keep-alive clock. Events that write nothing (<c>queued</c>, <c>started</c>,
    /// a <c>retrying</c> between attempts) must not reset it, or a job retried every few seconds left the stream silent.
    /// </summary>
    public TimeSpan SinceLastWrite => Stopwatch.GetElapsedTime(_lastWrite);

    public ValueTask WriteRoleAsync(CancellationToken ct) => chat ? WriteChoiceAsync("", null, role: true, ct) : ValueTask.CompletedTask;

    public ValueTask WriteDeltaAsync(string text, CancellationToken ct) => WriteChoiceAsync(text, null, role: false, ct);

    public ValueTask WriteFinishAsync(string finishReason, CancellationToken ct) => WriteChoiceAsync(null, finishReason, role: false, ct);

    public ValueTask WriteUsageAsync(int prompt, int completion, CancellationToken ct)
    {
        var w = Begin();
        w.WriteStartArray("choices");
        w.WriteEndArray();
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteEndObject();
        return EndAsync(ct);
    }

    /// <summary>An error after the stream started (OpenAI's SDKs raise it as an API error).</summary>
    public ValueTask WriteErrorAsync(string message, string type, string? code, CancellationToken ct)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteNull("param");
        if (code is null)
        {
            w.WriteNull("code");
        }
        else
        {
            w.WriteString("code", code);
        }

        w.WriteEndObject();
        return EndAsync(ct);
    }

    /// <summary>An SSE comment: keeps proxies from closing a stream that waits on a slow model; clients ignore it.</summary>
    public async ValueTask WriteKeepAliveAsync(CancellationToken ct)
    {
        await body.WriteAsync(s_keepAlive, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
        _lastWrite = Stopwatch.GetTimestamp();
    }

    /// <summary>An SSE comment line with <paramref name="text"/> (one line): a note for people reading the raw stream.</summary>
    public async ValueTask WriteCommentAsync(string text, CancellationToken ct)
    {
        await body.WriteAsync(System.Text.Encoding.UTF8.GetBytes(": " + text.ReplaceLineEndings(" ") + "\n\n"), ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
        _lastWrite = Stopwatch.GetTimestamp();
    }

    public async ValueTask WriteDoneAsync(CancellationToken ct)
    {
        await body.WriteAsync(s_done, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
        _lastWrite = Stopwatch.GetTimestamp();
    }

    public void Dispose() => _json?.Dispose();

    private ValueTask WriteChoiceAsync(string? text, string? finishReason, bool role, CancellationToken ct)
    {
        var w = Begin();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        if (chat)
        {
            w.WriteStartObject("delta");
            if (role)
            {
                w.WriteString("role", "assistant");
            }

            if (text is not null)
            {
                w.WriteString("content", text);
            }

            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text", text ?? "");
        }

        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        return EndAsync(ct);
    }

    private Utf8JsonWriter Start()
    {
        _buffer.ResetWrittenCount();
        _buffer.Write(s_data);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_buffer);
        }
        else
        {
            _json.Reset(_buffer);
        }

        return _json;
    }

    private Utf8JsonWriter Begin()
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", Model);
        return w;
    }

    private async ValueTask EndAsync(CancellationToken ct)
    {
        _json!.WriteEndObject();
        _json.Flush();
        _buffer.Write(s_end);
        await body.WriteAsync(_buffer.WrittenMemory, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
        _lastWrite = Stopwatch.GetTimestamp();
    }
}
