using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Bench.Targets;

/// <summary>Sluice's synchronous path: <c>POST /v1/models/{model}/infer</c> runs the model inside the request (seed 004's "synchronous" mode).</summary>
internal sealed class SluiceInferTarget : ILoadTarget
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _uri;
    private readonly byte[] _body;

    public SluiceInferTarget(TargetSpec spec, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _uri = new Uri(spec.Url, "/v1/models/" + Uri.EscapeDataString(spec.Model) + "/infer");
        _body = Encoding.UTF8.GetBytes("{\"input\":" + spec.InputJson + "}");
        _ownsClient = client is null;
        _client = client ?? BenchHttp.CreateClient();
    }

    public string Description => $"POST {_uri}";

    public async ValueTask<Load.RequestOutcome> ExecuteAsync(Load.RequestContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri);
        var content = new ByteArrayContent(_body);
        content.Headers.ContentType = s_json;
        request.Content = content;
        using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        context.RetryAfterSeen = response.Headers.RetryAfter is not null;
        await BenchHttp.DrainAsync(response, cancellationToken).ConfigureAwait(false);
        return Load.RequestOutcome.FromHttpStatus((int)response.StatusCode);
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
