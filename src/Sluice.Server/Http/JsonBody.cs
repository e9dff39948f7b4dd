using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Sluice.Server.Http;

/// <summary>
/// Reads a JSON request body under a size limit, with the right status for each way it can be wrong:
/// 415 for another media type, 413 when too large, 400 (with the position) for malformed JSON or invalid UTF-8,
/// 408 for a body that arrives too slowly or not within <see cref="HttpOptions.BodyTimeoutSeconds"/> and 400 for one
/// whose chunked framing is broken.
/// </summary>
internal static class JsonBody
{
    /// <summary>Deepest nesting a request body may have.</summary>
    public const int MaxDepth = 64;

    // A repeated property is refused: which of two "model"s a reader honours is not something a client should have to guess.
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, AllowDuplicateProperties = false };

    public static async ValueTask<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpContext context, HttpOptions options)
    {
        var maxBytes = options.MaxBodyBytes;
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return (null, Problems.Create(415, "Unsupported media type", $"send the body as application/json in UTF-8 (got '{request.ContentType ?? "none"}')", "Content-Type"));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(context, maxBytes));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes + 1;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        // The whole body within BodyTimeoutSeconds: Kestrel's minimum data rate does not bound a steady trickle.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.BodyTimeoutSeconds));
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(length), deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                {
                    // The rest of the body is not waited for: the connection closes after the answer.
                    context.Response.Headers.Connection = "close";
                    return (null, Problems.Create(408, "Request timeout", $"the request body did not arrive within {options.BodyTimeoutSeconds} s (Sluice:Http:BodyTimeoutSeconds)", "body"));
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return (null, TooLarge(context, maxBytes));
                }
                catch (BadHttpRequestException ex)
                {
                    // The client's fault, not the server's: a body trickling in under Kestrel's minimum data rate
                    // (a slowloris) or broken chunked framing is its 408 or 400, not an unhandled 500 logged as an error.
                    return (null, BrokenBody(ex));
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return (null, TooLarge(context, maxBytes));
                }
            }

            // A UTF-8 byte order mark (files saved by Windows editors, PowerShell 5) is skipped, as RFC 8259 allows
            // and as ASP.NET's own JSON binding does; the parser would call it an invalid start of a value.
            var start = buffer.AsSpan(0, length).StartsWith("\uFEFF"u8) ? 3 : 0;
            if (length - start == 0)
            {
                return (null, Problems.BadRequest("body", "the request body is empty; send a JSON object"));
            }

            if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(start, length - start)))
            {
                return (null, Problems.BadRequest("body", "the request body is not valid UTF-8"));
            }

            // JsonDocument keeps referring to its input, and the pooled buffer goes back below: parse a copy.
            var raw = buffer.AsSpan(start, length - start).ToArray();
            try
            {
                var doc = JsonDocument.Parse(raw, s_options);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    doc.Dispose();
                    return (null, Problems.BadRequest("body", "the request body must be a JSON object"));
                }

                if (FindInvalidString(doc.RootElement, "") is { } bad)
                {
                    doc.Dispose();
                    return (null, Problems.BadRequest(bad.Length == 0 ? "body" : bad, "contains an invalid Unicode escape (a lone surrogate)"));
                }

                return (doc, null);
            }
            catch (JsonException ex)
            {
                var where = ex.BytePositionInLine is { } b ? $" at line {(ex.LineNumber ?? 0) + 1}, byte {b + 1}" : "";
                return (null, Problems.BadRequest("body", $"malformed JSON{where}: {Trim(ex.Message)}"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Path of the first string or property name that is not valid UTF-16 once unescaped (e.g. <c>"\ud800"</c>),
    /// so such input is refused here rather than failing later inside a model.
    /// </summary>
    private static string? FindInvalidString(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    _ = e.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return path;
                }

            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = p.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;
                    }

                    if (FindInvalidString(p.Value, path.Length == 0 ? name : path + "." + name) is { } bad)
                    {
                        return bad;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (FindInvalidString(item, $"{path}[{i++}]") is { } bad)
                    {
                        return bad;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static IResult BrokenBody(BadHttpRequestException ex) => ex.StatusCode == StatusCodes.Status408RequestTimeout
        ? Problems.Create(408, "Request timeout", "the request body arrived too slowly (Kestrel's minimum data rate); send it at once", "body")
        : Problems.Create(ex.StatusCode, "Invalid request", $"the request body could not be read: {ex.Message.TrimEnd('.')}", "body");

    private static IResult TooLarge(HttpContext context, long maxBytes)
    {
        // The rest of the body is over the limit Kestrel drains to (BodyLimitMiddleware), so it closes the connection
        // after the answer: it must say so, or a keep-alive client sends its next request down a closed connection.
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
        }

        return Problems.Create(413, "Payload too large", $"the request body exceeds {maxBytes} bytes", "body");
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        // JSON is UTF-8 (RFC 8259): a body declared in another charset would be misread, so it is refused as such.
        var charset = HeaderUtilities.RemoveQuotes(media.Charset);
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The parser's message without its own position suffix (" LineNumber: 0 | …", zero-based), which the detail already gives.</summary>
    private static string Trim(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = i > 0 ? message[..i] : message;
        i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).TrimEnd('.');
    }
}
