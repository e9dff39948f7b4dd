using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.OpenAi.Tests.Apis;

/// <summary>
/// The generation latency histograms a vLLM user reads (time to first token, inter-token latency), after real streamed
/// completions on the engine's local model, against what the clients measured themselves.
/// </summary>
public sealed class GenerationLatencyMetricsTests(ITestOutputHelper output)
{
    private const string Model = "stories260k";
    private const int Streams = 4;

    [SharedDataFact("models/stories260K.bin")]
    public async Task Metrics_AfterStreamedCompletions_TimeToFirstTokenAndPerTokenMatchClients()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());
        var clientFirstText = 0.0;
        var clientTotal = 0.0;
        var completionTokens = 0L;
        for (var i = 0; i < Streams; i++)
        {
            // A different prompt each time: a result-cache hit would answer without generating.
            var json = $$$"""{"model":"{{{Model}}}","prompt":"Once upon a time there was a cat number {{{i}}}.","max_tokens":24,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = SluiceServer.Json(json) };
            var clock = Stopwatch.StartNew();
            using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (firstText, tokens) = await ReadStreamAsync(response, clock);
            clientTotal += clock.Elapsed.TotalSeconds;
            Assert.True(firstText > 0, $"stream {i} carried no text");
            Assert.True(tokens > 1, $"stream {i} generated {tokens} tokens: too few to time a gap");
            clientFirstText += firstText;
            completionTokens += tokens;
        }

        // The token counter is added after the step that ended the last stream, which may be after its [DONE].
        var label = "model=\"" + Model + "\"";
        var text = "";
        await Poll.UntilAsync(
            async () => PrometheusText.Counter(text = await server.Client.GetStringAsync("/metrics"), "sluice_tokens_generated_total", label) == completionTokens,
            () => $"sluice_tokens_generated_total never reached the {completionTokens} tokens the clients were sent");

        // One first token per generation, and one gap per token after it (the engine gives a sequence one token a step).
        Assert.Equal(Streams, PrometheusText.Counter(text, "sluice_time_to_first_token_seconds_count", label));
        Assert.Equal(completionTokens - Streams, PrometheusText.Counter(text, "sluice_time_per_output_token_seconds_count", label));
        Assert.Equal(completionTokens, PrometheusText.Counter(text, "sluice_tokens_generated_total", label));

        // The server's time to first token runs from the job's acceptance (after the request arrived) to the step that
        // generated the token (before its text was sent): never more than the clients saw, up to clock granularity.
        var ttftSum = Sum(text, "sluice_time_to_first_token_seconds_sum", label);
        var gapSum = Sum(text, "sluice_time_per_output_token_seconds_sum", label);
        const double Slack = 0.005 * Streams;
        output.WriteLine($"{completionTokens} tokens; TTFT sum {ttftSum:F4} s (clients' first text {clientFirstText:F4} s); inter-token sum {gapSum:F4} s (clients' streams {clientTotal:F4} s)");
        Assert.InRange(ttftSum, double.Epsilon, clientFirstText + Slack);

        // First token plus the gaps after it end at each sequence's last token: within the clients' whole streams.
        Assert.InRange(gapSum, double.Epsilon, clientTotal - ttftSum + Slack);

        // Labelled by model alone, never by anything the client chose.
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("sluice_time_to_first_token_seconds", StringComparison.Ordinal) || line.StartsWith("sluice_time_per_output_token_seconds", StringComparison.Ordinal))
            {
                var labels = line[(line.IndexOf('{', StringComparison.Ordinal) + 1)..line.IndexOf('}', StringComparison.Ordinal)];
                Assert.StartsWith(label, labels, StringComparison.Ordinal);
                Assert.True(labels == label || labels.StartsWith(label + ",le=\"", StringComparison.Ordinal), line);
            }
        }
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Metrics_AfterANonStreamingCompletion_FirstTokenPerTokenAndJobDurationRecorded()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());
        const string Json = $$"""{"model":"{{Model}}","prompt":"Once upon a time there was a dog.","max_tokens":16,"temperature":0}""";
        var clock = Stopwatch.StartNew();
        using var response = await server.Client.PostAsync("/v1/completions", SluiceServer.Json(Json));
        var elapsed = clock.Elapsed.TotalSeconds;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tokens = body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt64();
        Assert.True(tokens > 1, $"{tokens} tokens: too few to time a gap");

        // The answer leaves once the job's outcome is stored; it is counted finished just after.
        var label = "model=\"" + Model + "\"";
        var text = "";
        await Poll.UntilAsync(
            async () => PrometheusText.Counter(text = await server.Client.GetStringAsync("/metrics"), "sluice_job_duration_seconds_count", label, "status=\"succeeded\"") == 1,
            () => "the non-streaming completion's job recorded no sluice_job_duration_seconds");
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_time_to_first_token_seconds_count", label));
        Assert.Equal(tokens - 1, PrometheusText.Counter(text, "sluice_time_per_output_token_seconds_count", label));
        var ttft = PrometheusText.Value(text, "sluice_time_to_first_token_seconds_sum", label);
        var duration = PrometheusText.Value(text, "sluice_job_duration_seconds_sum", label, "status=\"succeeded\"");
        Assert.InRange(ttft, double.Epsilon, duration);
        Assert.InRange(duration, double.Epsilon, elapsed + 0.005);
    }

    /// <summary>Seconds from the request's send to the first chunk with text, and the completion tokens the usage chunk reports.</summary>
    private static async Task<(double FirstText, long Tokens)> ReadStreamAsync(HttpResponseMessage response, Stopwatch clock)
    {
        var firstText = 0.0;
        var tokens = 0L;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line == "data: [DONE]")
            {
                break;
            }

            using var chunk = JsonDocument.Parse(line[6..]);
            if (firstText == 0 && chunk.RootElement.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices
                && choices.GetArrayLength() > 0 && choices[0].TryGetProperty("text", out var t) && !string.IsNullOrEmpty(t.GetString()))
            {
                firstText = clock.Elapsed.TotalSeconds;
            }

            if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                tokens = usage.GetProperty("completion_tokens").GetInt64();
            }
        }

        return (firstText, tokens);
    }

    private static double Sum(string text, string metric, string label)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(metric + "{" + label + "}", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
