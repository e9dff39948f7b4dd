using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Testing.Server;

/// <summary>
/// A stand-in OpenTelemetry collector on loopback: records every request an OTLP/HTTP exporter sends (path, media type
/// and the protobuf body, searched for the bytes of a name or id rather than decoded).
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> _posts = new();
    private KestrelTestServer? _server;

    private OtlpCollector()
    {
    }

    /// <summary>The collector's base address (what <c>Sluice:Tracing:Endpoint</c> takes).</summary>
    public Uri BaseUri => _server!.BaseUri;

    /// <summary>A copy of the requests received so far.</summary>
    public (string Path, string? ContentType, byte[] Body)[] Posts => [.. _posts];

    public static async Task<OtlpCollector> StartAsync()
    {
        var collector = new OtlpCollector();
        collector._server = await KestrelTestServer.StartAsync(app => app.Map("/{**path}", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            collector._posts.Enqueue((http.Request.Path.Value!, http.Request.ContentType, buffer.ToArray()));
            return Results.Ok();
        }));
        return collector;
    }

    /// <summary>Whether <paramref name="body"/> holds <paramref name="text"/> as UTF-8 (protobuf keeps strings as they are).</summary>
    public static bool Contains(byte[] body, string text) => Contains(body, Encoding.UTF8.GetBytes(text));

    public static bool Contains(byte[] body, byte[] bytes) => body.AsSpan().IndexOf(bytes) >= 0;

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
