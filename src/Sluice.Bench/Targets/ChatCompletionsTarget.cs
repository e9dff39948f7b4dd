using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Bench.Load;

namespace Sluice.Bench.Targets;

/// <summary>
/// OpenAI-style streaming chat: every <c>data:</c> chunk that carries text is one event, so the first event is the first
/// token; the role-only opening chunk servers send at once, the closing <c>finish_reason</c> chunk and the usage chunk
/// are not events (they would make a server that answers "assistant" early look fast). The requests are greedy
/// (temperature 0), and the OpenAI endpoints have no cache bypass: on a deterministic model every request after the
/// first is answered from Sluice's result cache (one chunk) unless the server runs with <c>Sluice:Cache:Enabled=false</c>.
/// </summary>
internal sealed class ChatCompletionsTarget : ILoadTarget
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _uri;
    private readonly byte[] _body;

    public ChatCompletionsTarget(TargetSpec spec, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _uri = new Uri(spec.Url, "/v1/chat/completions");
        _body = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"model":{{JsonSerializer.Serialize(spec.Model)}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(spec.Prompt)}}}],"max_tokens":{{spec.MaxTokens}},"temperature":0,"stream":true}"""));
        _ownsClient = client is null;
        _client = client ?? BenchHttp.CreateClient();
    }

    public string Description => $"POST {_uri} (stream, greedy; no result-cache bypass)";

    public async ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri);
        var content = new ByteArrayContent(_body);
        content.Headers.ContentType = s_json;
        request.Content = content;
        request.Headers.Accept.Add(s_eventStream);
        using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        context.RetryAfterSeen = response.Headers.RetryAfter is not null;
        int status = (int)response.StatusCode;
        if (status != 200)
        {
            await BenchHttp.DrainAsync(response, cancellationToken).ConfigureAwait(false);
            return RequestOutcome.FromHttpStatus(status);
        }

        using var reader = new SseReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadNextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.Data == "[DONE]")
            {
                return new RequestOutcome(OutcomeKind.Succeeded, 200);
            }

            if (HasText(reader.Data))
            {
                context.OnEvent();
            }
        }

        return RequestOutcome.Failure(OutcomeCodes.StreamEndedEarly);
    }

    /// <summary>
    /// Whether a chunk's <c>delta.content</c> (chat) or <c>text</c> (completions) is a non-empty string; a string search
    /// rather than a parse keeps the load generator's own cost per token low.
    /// </summary>
    internal static bool HasText(string data) => NonEmptyString(data, "\"content\":") || NonEmptyString(data, "\"text\":");

    private static bool NonEmptyString(string data, string key)
    {
        int at = data.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        at += key.Length;
        while (at < data.Length && data[at] == ' ')
        {
            at++;
        }

        return at + 1 < data.Length && data[at] == '"' && data[at + 1] != '"';
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
