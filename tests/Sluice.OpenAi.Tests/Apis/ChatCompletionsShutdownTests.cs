using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.OpenAi.Tests.Infrastructure;

namespace Sluice.OpenAi.Tests.Apis;

/// <summary>
/// A graceful stop whose drain runs out of time: an OpenAI call still generating is answered (503, or a stream's error
/// chunk) shortly before the host's 3 s ShutdownTimeout, not cut off with a connection reset; its job is cancelled.
/// </summary>
public sealed class ChatCompletionsShutdownTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["shutdownTimeoutSeconds"] = "3",
        // 20 tokens of a second each: far longer than the drain.
        ["Sluice:BuiltIns:CountStepMs"] = "1000",
    };

    private const string Chat = """{"model":"count","messages":[{"role":"user","content":"count"}],"max_tokens":20,"temperature":0""";

    [Fact]
    public async Task ChatCompletions_StopOutlastsTheShutdownTimeout_Answers503InOpenAiShapeBeforeTheCut()
    {
        await using var server = await SluiceServer.StartAsync(Settings);
        var calling = server.Client.PostAsync("/v1/chat/completions", SluiceServer.Json(Chat + "}"));
        // Generating by then (its first token comes after a second); the call answers nothing until the end.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.False(calling.IsCompleted);

        var clock = Stopwatch.StartNew();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();
        using var response = await calling;
        var answeredAfter = clock.Elapsed;
        var body = await SluiceServer.ReadJsonAsync(response);
        var job = await server.Services.GetRequiredService<IJobStore>().GetAsync(response.Headers.GetValues("X-Sluice-Job-Id").Single(), CancellationToken.None);
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("server_stopping", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("server_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(answeredAfter >= TimeSpan.FromSeconds(1.9) && answeredAfter < TimeSpan.FromSeconds(3), $"answered after {answeredAfter}");
        Assert.Equal(JobStatus.Cancelled, job!.Status);
    }

    [Fact]
    public async Task ChatCompletions_StreamStopOutlastsTheShutdownTimeout_EndsWithAnErrorChunkBeforeTheCut()
    {
        await using var server = await SluiceServer.StartAsync(Settings);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat + ",\"stream\":true}") };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.Contains("\"content\":\"1\"", StringComparison.Ordinal))
        {
        }

        var clock = Stopwatch.StartNew();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var endedAfter = clock.Elapsed;
        var job = await server.Services.GetRequiredService<IJobStore>().GetAsync(response.Headers.GetValues("X-Sluice-Job-Id").Single(), CancellationToken.None);
        await stopping;

        // An error after the start is the stream's last chunk, as for any other error.
        Assert.EndsWith("\"type\":\"server_error\",\"param\":null,\"code\":\"server_stopping\"}}\n\n", rest, StringComparison.Ordinal);
        Assert.True(endedAfter >= TimeSpan.FromSeconds(1.9) && endedAfter < TimeSpan.FromSeconds(3), $"ended after {endedAfter}");
        Assert.Equal(JobStatus.Cancelled, job!.Status);
    }
}
