using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Testing.Server;

/// <summary>
/// A real HTTP model server for tests: Kestrel on 127.0.0.1 with a random port, whose endpoints each test maps to
/// speak a protocol (OpenAI SSE, Ollama NDJSON, KServe v2 JSON) and misbehave on purpose. Counts calls per path
/// and keeps request bodies.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hits;

    private FakeUpstream(WebApplication app, ConcurrentDictionary<string, int> hits, ConcurrentQueue<string> bodies, Uri address)
    {
        _app = app;
        _hits = hits;
        Bodies = bodies;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    public string Url => BaseAddress.ToString().TrimEnd('/');

    /// <summary>Bodies of the POST requests received, in order.</summary>
    public ConcurrentQueue<string> Bodies { get; }

    public int Hits(string path) => _hits.TryGetValue(path, out var n) ? n : 0;

    public static async Task<FakeUpstream> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var hits = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var bodies = new ConcurrentQueue<string>();
        app.Use(async (context, next) =>
        {
            hits.AddOrUpdate(context.Request.Path.Value ?? "", 1, (_, n) => n + 1);
            if (HttpMethods.IsPost(context.Request.Method))
            {
                context.Request.EnableBuffering();
                using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
                bodies.Enqueue(await reader.ReadToEndAsync());
                context.Request.Body.Position = 0;
            }

            await next(context);
        });
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeUpstream(app, hits, bodies, new Uri(address));
    }

    /// <summary>Writes one line and pushes it to the client at once.</summary>
    public static async Task WriteLineAsync(HttpResponse response, string line)
    {
        await response.WriteAsync(line + "\n");
        await response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
