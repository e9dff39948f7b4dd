using System.Buffers;
using System.Globalization;
using System.Text;
using Sluice.Core.Jobs;

namespace Sluice.Server.Apis;

/// <summary>Writes SSE frames: id, event and data lines (multi-line data split per the spec).</summary>
internal sealed class SseWriter(Stream body)
{
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public async ValueTask WriteEventAsync(JobEvent e, CancellationToken ct)
    {
        // Encoded straight into a pooled buffer (was a StringBuilder, its string and the id's string per event). The
        // bound: every CR or LF may start a data line of its own ("data: " and its "\n" each).
        var data = e.DataJson.AsSpan();
        var lines = data.Count('\n') + data.Count('\r') + 1;
        var max = "id: \nevent: \n\n".Length + 20 + Encoding.UTF8.GetMaxByteCount(e.Type.Length) + (lines * "data: \n".Length) + Encoding.UTF8.GetMaxByteCount(data.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Frame(e, buffer);
            await body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public ValueTask WriteCommentAsync(CancellationToken ct) => WriteAsync(KeepAlive, ct);

    /// <summary>The frame of <paramref name="e"/> in UTF-8; <paramref name="into"/> holds its bound.</summary>
    private static int Frame(JobEvent e, Span<byte> into)
    {
        var n = 0;
        Append(into, ref n, "id: "u8);
        e.Id.TryFormat(into[n..], out var w, default, CultureInfo.InvariantCulture);
        n += w;
        Append(into, ref n, "\nevent: "u8);
        n += Encoding.UTF8.GetBytes(e.Type, into[n..]);
        Append(into, ref n, "\n"u8);
        // SSE ends a line at CRLF, LF or a lone CR: each starts a new data line, or a client would read the rest
        // as a field of its own and lose it. Raw CR and LF in JSON are whitespace between tokens (never inside a
        // string), so the client's data joined with LF is the same document. Other line breaks (U+2028) are not
        // SSE line ends and may sit inside a JSON string, so they stay.
        var data = e.DataJson.AsSpan();
        while (true)
        {
            var end = data.IndexOfAny('\r', '\n');
            Append(into, ref n, "data: "u8);
            n += Encoding.UTF8.GetBytes(end < 0 ? data : data[..end], into[n..]);
            Append(into, ref n, "\n"u8);
            if (end < 0)
            {
                break;
            }

            data = data[(data[end] == '\r' && end + 1 < data.Length && data[end + 1] == '\n' ? end + 2 : end + 1)..];
        }

        Append(into, ref n, "\n"u8);
        return n;
    }

    private static void Append(Span<byte> into, ref int n, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(into[n..]);
        n += bytes.Length;
    }

    private async ValueTask WriteAsync(byte[] bytes, CancellationToken ct)
    {
        await body.WriteAsync(bytes, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }
}
