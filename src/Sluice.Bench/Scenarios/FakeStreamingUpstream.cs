using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

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

    private readonly LoopbackWebHost _host;

    private FakeStreamingUpstream(LoopbackWebHost host) => _host = host;

    /// <summary>The server root; the OpenAI API is under <c>/v1</c>.</summary>
    public Uri BaseUri => _host.BaseUri;

    public static async Task<FakeStreamingUpstream> StartAsync(int tokens, TimeSpan tokenInterval, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        string completion = tokens.ToString(CultureInfo.InvariantCulture);
        string total = (tokens + 4).ToString(CultureInfo.InvariantCulture);
        byte[] tail = Encoding.UTF8.GetBytes(
            "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + ModelName
            + "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
            + "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":"
            + completion + ",\"total_tokens\":" + total + "}}\n\n"
            + "data: [DONE]\n\n");
        return new FakeStreamingUpstream(await LoopbackWebHost.StartAsync(app => Map(app, tokens, tokenInterval, tail), cancellationToken).ConfigureAwait(false));
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static void Map(WebApplication app, int tokens, TimeSpan tokenInterval, byte[] tail)
    {
        app.MapGet("/v1/models", static (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("{\"object\":\"list\",\"data\":[{\"id\":\"" + ModelName + "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"bench\"}]}");
        });
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
    }
}
