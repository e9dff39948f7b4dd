using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Sluice.Backends.Resilience;
using Sluice.Core.Jobs;

namespace Sluice.Backends.Streaming;

/// <summary>Small helpers shared by the protocols: JSON request bodies, and line reading with an idle timeout.</summary>
internal static class UpstreamJson
{
    public static ByteArrayContent Content(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>
    /// Reads the next line of a streamed body; a silence longer than the backend's idle timeout, or the connection
    /// dropping, becomes an <see cref="UpstreamException"/> (transient, not safe to repeat: text may have gone out).
    /// </summary>
    public static async ValueTask<string?> ReadLineAsync(StreamReader reader, UpstreamClient upstream, CancellationToken cancellationToken)
    {
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(upstream.Options.StreamIdleTimeoutSeconds), upstream.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        try
        {
            return await reader.ReadLineAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"backend '{upstream.Name}': {UpstreamException.Stalled}{upstream.Options.StreamIdleTimeoutSeconds} s", null, false, true, code: JobErrorCodes.UpstreamTimeout);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new UpstreamException($"backend '{upstream.Name}': the upstream dropped the connection mid-stream ({ex.Message})", null, false, true, null, ex);
        }
    }

    public static UpstreamException Malformed(UpstreamClient upstream, string what, Exception ex) =>
        new($"backend '{upstream.Name}': malformed JSON from the upstream in {what}: {ex.Message}", null, false, true, null, ex);

    public static void WriteStop(Utf8JsonWriter w, string name, IReadOnlyList<string> stop)
    {
        if (stop.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        for (var i = 0; i < stop.Count; i++)
        {
            w.WriteStringValue(stop[i]);
        }

        w.WriteEndArray();
    }
}
