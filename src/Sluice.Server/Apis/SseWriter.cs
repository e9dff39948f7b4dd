using System.Buffers;
using System.Globalization;
using System.Text;
using Sluice.Core.Jobs;

namespace Sluice.Server.Apis;

/// <summary>Writes SSE frames: id, event and data lines (multi-line data split per the spec).</summary>
internal sealed class SseWriter(Stream body)
{
    public async ValueTask WriteEventAsync(JobEvent e, CancellationToken ct)
    {
        var sb = new StringBuilder(e.DataJson.Length + 48);
        sb.Append("id: ").Append(e.Id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("event: ").Append(e.Type).Append('\n');
        // SSE ends a line at CRLF, LF or a lone CR: each starts a new data line, or a client would read the rest
        // as a field of its own and lose it. Raw CR and LF in JSON are whitespace between tokens (never inside a
        // string), so the client's data joined with LF is the same document. Other line breaks (U+2028) are not
        // SSE line ends and may sit inside a JSON string, so they stay.
        var data = e.DataJson.AsSpan();
        while (true)
        {
            var end = data.IndexOfAny('\r', '\n');
            sb.Append("data: ").Append(end < 0 ? data : data[..end]).Append('\n');
            if (end < 0)
            {
                break;
            }

            data = data[(data[end] == '\r' && end + 1 < data.Length && data[end + 1] == '\n' ? end + 2 : end + 1)..];
        }

        sb.Append('\n');
        await WriteAsync(sb.ToString(), ct).ConfigureAwait(false);
    }

    public ValueTask WriteCommentAsync(CancellationToken ct) => WriteAsync(": keep-alive\n\n", ct);

    private async ValueTask WriteAsync(string text, CancellationToken ct)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(text, buffer);
            await body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
