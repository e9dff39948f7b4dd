using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.Server.Apis;

/// <summary>A generation job's result (<c>{"text", "finish_reason", "usage"}</c>) as the OpenAI endpoints need it.</summary>
internal readonly record struct OpenAiResult(string Text, string FinishReason, int PromptTokens, int CompletionTokens)
{
    public static OpenAiResult Parse(string? resultJson)
    {
        if (string.IsNullOrEmpty(resultJson))
        {
            return new OpenAiResult("", OpenAiFinishReasons.Stop, 0, 0);
        }

        using var doc = JsonDocument.Parse(resultJson);
        var root = doc.RootElement;
        var text = root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        var finish = root.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : OpenAiFinishReasons.Stop;
        int prompt = 0, completion = 0;
        if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
        {
            prompt = u.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
            completion = u.TryGetProperty("completion_tokens", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
        }

        return new OpenAiResult(text, FinishName(finish), prompt, completion);
    }

    /// <summary>From a terminal event's data (<c>{"status", "result"}</c>).</summary>
    public static OpenAiResult FromCompletedEvent(string dataJson)
    {
        using var doc = JsonDocument.Parse(dataJson);
        return doc.RootElement.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.Object ? Parse(r.GetRawText()) : new OpenAiResult("", OpenAiFinishReasons.Stop, 0, 0);
    }

    /// <summary>The error text of a failed terminal event, and its <c>error_code</c> (null when it has none).</summary>
    public static string ErrorOf(string dataJson, out string? errorCode)
    {
        using var doc = JsonDocument.Parse(dataJson);
        errorCode = doc.RootElement.TryGetProperty("error_code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        return doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "the generation failed";
    }

    /// <summary>
    /// The <c>text</c> (and <c>tokens</c>) of a <c>delta</c> event, read with a forward-only reader over a pooled buffer: this runs once
    /// per streamed token, so it builds no document.
    /// </summary>
    public static string ReadDeltaText(string dataJson, out int tokens)
    {
        tokens = 0;
        var text = "";
        var max = Encoding.UTF8.GetMaxByteCount(dataJson.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(dataJson, rented);
            var reader = new Utf8JsonReader(rented.AsSpan(0, n));
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : "";
                }
                else if (reader.ValueTextEquals("tokens"u8))
                {
                    reader.Read();
                    tokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t) ? t : 0;
                }
            }

            return text;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The <c>tokens</c> of a <c>delta</c> event.</summary>
    public static int DeltaTokens(string dataJson)
    {
        _ = ReadDeltaText(dataJson, out var tokens);
        return tokens;
    }

    /// <summary>
    /// OpenAI knows <c>stop</c>, <c>length</c>, <c>content_filter</c> (a remote provider's filter ended it; the caller
    /// must not read it as the model's own end) and tool reasons Sluice never produces.
    /// </summary>
    public static string FinishName(string reason) => reason switch
    {
        "length" => OpenAiFinishReasons.Length,
        "content_filter" => OpenAiFinishReasons.ContentFilter,
        _ => OpenAiFinishReasons.Stop,
    };
}
