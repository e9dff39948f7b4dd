using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// The overhead scenario's baseline: a bare ASP.NET Core minimal API on 127.0.0.1:0 that echoes its JSON body back,
/// hosted inside the bench process (no queue, no scheduler, no storage).
/// </summary>
internal sealed class BareEndpointHost : IAsyncDisposable
{
    private readonly LoopbackWebHost _host;

    private BareEndpointHost(LoopbackWebHost host) => _host = host;

    public Uri BaseUri => _host.BaseUri;

    public Uri EchoUri => new(BaseUri, "/echo");

    public static async Task<BareEndpointHost> StartAsync(CancellationToken cancellationToken) =>
        new(await LoopbackWebHost.StartAsync(
            static app => app.MapPost("/echo", static async (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }),
            cancellationToken).ConfigureAwait(false));

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
