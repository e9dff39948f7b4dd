using System.Diagnostics;
using System.Net;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Backends.Tests.Resilience;

/// <summary>An OpenAI stream whose job waits queued between attempts against a failing upstream.</summary>
public sealed class RetryingStreamTests
{
    [Fact]
    public async Task ChatCompletionsStream_JobQueuedBetweenFrequentRetries_SendsKeepAlivesAtTheInterval()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        // Twenty attempts, each failing at once and retried after 0.15 to 0.3 s: the job spends three to six seconds
        // queued for its next attempt, with a retrying event (which writes nothing) far more often than the 1 s keep-alive.
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 1000), ("HealthProbeIntervalSeconds", 0),
            ("Sluice:Models:remote:MaxAttempts", 20), ("Sluice:Retry:BaseDelay", "00:00:00.3"), ("Sluice:Retry:MaxDelay", "00:00:00.3"),
            ("Sluice:Http:KeepAliveSeconds", 1)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true}"""),
        };

        var clock = Stopwatch.StartNew();
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var keepAlives = 0;
        var last = "";
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            keepAlives += line == ": keep-alive" ? 1 : 0;
            last = line.Length > 0 ? line : last;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        // Every attempt failed: the stream ends with the error, after a wait of several keep-alive intervals.
        Assert.StartsWith("data: {\"error\":", last, StringComparison.Ordinal);
        Assert.Equal(20, upstream.Hits("/v1/chat/completions"));
        Assert.True(seconds >= 2.5, $"the retries took only {seconds:0.0} s");
        // One comment per interval of silence (two intervals of slack for a loaded machine), not none.
        Assert.True(keepAlives >= (int)seconds - 2, $"{keepAlives} keep-alives in {seconds:0.0} s");
    }
}
