using System.Net.Sockets;
using System.Text;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests a client library would refuse or repair (broken chunked framing, a body
/// that stops arriving, raw bytes in the target); the answer is read until the server closes the connection.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, CRLF-separated, no blank line) and <paramref name="body"/>, then waits for the whole answer.</summary>
    public static async Task<(int Status, string Head, string Body)> SendAsync(Uri server, string head, byte[] body, TimeSpan timeout)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n\r\n"), cts.Token);
        await stream.WriteAsync(body, cts.Token);
        return await ReadAnswerAsync(stream, cts.Token);
    }

    /// <summary>
    /// Sends <paramref name="head"/>, then <paramref name="piece"/> every <paramref name="interval"/> (a client that
    /// keeps a body trickling in) until the server answers and closes, or <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<(int Status, string Head, string Body)> TrickleAsync(Uri server, string head, byte[] piece, TimeSpan interval, TimeSpan timeout)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n\r\n"), cts.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var writer = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await stream.WriteAsync(piece, stop.Token);
                    await Task.Delay(interval, stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server closed the connection, or the answer came.
            }
        });
        try
        {
            return await ReadAnswerAsync(stream, cts.Token);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }

    private static async Task<(int Status, string Head, string Body)> ReadAnswerAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            answer.Write(buffer, 0, n);
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return (status, split < 0 ? text : text[..split], split < 0 ? "" : Dechunk(text[(split + 4)..]));
    }

    /// <summary>The payload of a chunked answer (Kestrel chunks the JSON it writes), or the text as it is.</summary>
    private static string Dechunk(string body)
    {
        var sb = new StringBuilder();
        var at = 0;
        while (at < body.Length)
        {
            var eol = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (eol < 0 || !int.TryParse(body.AsSpan(at, eol - at), System.Globalization.NumberStyles.HexNumber, null, out var size))
            {
                return at == 0 ? body : sb.ToString();
            }

            if (size == 0)
            {
                break;
            }

            sb.Append(body, eol + 2, size);
            at = eol + 2 + size + 2;
        }

        return sb.ToString();
    }
}
