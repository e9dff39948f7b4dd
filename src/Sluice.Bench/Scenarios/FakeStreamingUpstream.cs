using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// The backends scenario's upstream: an OpenAI-compatible server on 127.0.0.1:0 inside the bench process that streams
/// a fixed number of chunks at a fixed pace, the way vLLM streams a generation (SSE <c>chat.completion.chunk</c>s: a
/// role-only chunk at once, one per token, a final chunk with <c>finish_reason</c>, a usage chunk, <c>[DONE]</c>). The pace stands in for the GPU's time per
/// token, so what the scenario measures is what the proxy in front adds.
/// </summary>
internal sealed class FakeStreamingUpstream : IAsyncDisposable
{
    public const string ModelName = "fake-upstream";

    private static readonly byte[] s_role = Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + ModelName
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");

    private static readonly byte[] s_chunk = Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + ModelName
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"},\"finish_reason\":null}]}\n\n");

    private readonly WebApplication _app;

    private FakeStreamingUpstream(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    /// <summary>The server root; the OpenAI API is under <c>/v1</c>.</summary>
    public Uri BaseUri { get; }

    public static async Task<FakeStreamingUpstream> StartAsync(int tokens, TimeSpan tokenInterval, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxConcurrentConnections = null);
        WebApplication app = builder.Build();
        app.MapGet("/v1/models", static (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("{\"object\":\"list\",\"data\":[{\"id\":\"" + ModelName + "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"bench\"}]}");
        });
        string completion = tokens.ToString(CultureInfo.InvariantCulture);
        string total = (tokens + 4).ToString(CultureInfo.InvariantCulture);
        byte[] tail = Encoding.UTF8.GetBytes(
            "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + ModelName
            + "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
            + "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":"
            + completion + ",\"total_tokens\":" + total + "}}\n\n"
            + "data: [DONE]\n\n");
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            // The request body is not read: every call streams the same generation, whatever it asked for.
            context.Response.ContentType = "text/event-stream";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            CancellationToken aborted = context.RequestAborted;
            try
            {
                await context.Response.Body.WriteAsync(s_role, aborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                for (int i = 0; i < tokens; i++)
                {
                    if (tokenInterval > TimeSpan.Zero)
                    {
                        await Task.Delay(tokenInterval, aborted).ConfigureAwait(false);
                    }

                    await context.Response.Body.WriteAsync(s_chunk, aborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                }

                await context.Response.Body.WriteAsync(tail, aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The caller went away mid-stream.
            }
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FakeStreamingUpstream(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
