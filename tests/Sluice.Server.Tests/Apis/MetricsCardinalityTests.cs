using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// A server runs for weeks: no value a client chooses (a model, task or route name, an HTTP method, an API key, a stream
/// token) may become a metric label, or every distinct one adds series to /metrics for good.
/// </summary>
public sealed partial class MetricsCardinalityTests
{
    [Fact]
    public async Task Metrics_FloodOfDistinctClientChosenValues_AddsNoSeries()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "flood",
            ["Sluice:Auth:Keys:0:Key"] = "flood-secret",
        });

        // One round first (and a scrape: /metrics counts itself), so every series those answers touch exists; later
        // rounds may only count in them.
        await FloodAsync(server.Client, "warmup");
        await server.Client.GetStringAsync("/metrics");
        var before = Series(await server.Client.GetStringAsync("/metrics"));
        for (var i = 0; i < 50; i++)
        {
            await FloodAsync(server.Client, "v" + i);
        }

        var after = Series(await server.Client.GetStringAsync("/metrics"));
        Assert.Empty(after.Except(before));
    }

    private static async Task FloodAsync(HttpClient client, string value)
    {
        await SendAsync(client, HttpMethod.Post, "/v1/jobs", $"{{\"model\":\"{value}\",\"input\":{{}}}}");
        await SendAsync(client, HttpMethod.Post, $"/v1/models/{value}/infer", "{\"input\":{}}");
        await SendAsync(client, HttpMethod.Post, $"/v1/tasks/{value}", "{}");
        await SendAsync(client, HttpMethod.Post, "/v1/chat/completions", $"{{\"model\":\"{value}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}]}}");
        await SendAsync(client, HttpMethod.Get, $"/v1/jobs/{value}", null);
        await SendAsync(client, HttpMethod.Get, $"/{value}/{value}?{value}=1", null);
        await SendAsync(client, new HttpMethod("X" + value.ToUpperInvariant()), "/v1/jobs", null);
        await SendAsync(client, HttpMethod.Get, "/v1/models", null, key: "bad-" + value);
        await SendAsync(client, HttpMethod.Get, $"/v1/jobs/{value}/events?stream_token={value}", null, key: "");
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path, string? json, string key = "flood-secret")
    {
        using var request = new HttpRequestMessage(method, path);
        if (key.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (json is not null)
        {
            request.Content = TestServer.Json(json);
        }

        using var response = await client.SendAsync(request);
    }

    /// <summary>Each sample's name and labels (histogram buckets folded into their series), values and timestamps dropped.</summary>
    private static HashSet<string> Series(string text)
    {
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && line[0] != '#')
            {
                var end = line.LastIndexOf('}');
                var name = end > 0 ? line[..(end + 1)] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
                series.Add(Bucket().Replace(name, ""));
            }
        }

        return series;
    }

    [GeneratedRegex(",?le=\"[^\"]*\"")]
    private static partial Regex Bucket();
}
