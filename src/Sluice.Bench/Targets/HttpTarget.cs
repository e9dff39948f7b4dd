using System.Net.Http.Headers;

namespace Sluice.Bench.Targets;

/// <summary>Any HTTP URL: one request per call, 2xx succeeds, 429/503 are rejections.</summary>
internal sealed class HttpTarget : ILoadTarget
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _uri;
    private readonly HttpMethod _method;
    private readonly byte[]? _body;
    private readonly MediaTypeHeaderValue _contentType;

    public HttpTarget(Uri uri, HttpMethod method, byte[]? body = null, string contentType = "application/json", HttpClient? client = null)
    {
        _uri = uri;
        _method = method;
        _body = body;
        _contentType = new MediaTypeHeaderValue(contentType);
        _ownsClient = client is null;
        _client = client ?? BenchHttp.CreateClient();
    }

    public string Description => $"{_method} {_uri}";

    public async ValueTask<Load.RequestOutcome> ExecuteAsync(Load.RequestContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(_method, _uri);
        if (_body is not null)
        {
            var content = new ByteArrayContent(_body);
            content.Headers.ContentType = _contentType;
            request.Content = content;
        }

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
