using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Caching;

/// <summary>The result cache and idempotency keys as clients meet them: real HTTP on loopback, a real SQLite file.</summary>
public sealed class ResultCacheHttpTests
{
    private static readonly Dictionary<string, string> TwoKeys = new()
    {
        ["Sluice:Auth:Keys:0:Id"] = "alice",
        ["Sluice:Auth:Keys:0:Key"] = "alice-secret",
        ["Sluice:Auth:Keys:1:Id"] = "bob",
        ["Sluice:Auth:Keys:1:Key"] = "bob-secret",
        ["Sluice:BuiltIns:CountStepMs"] = "1",
    };

    [Fact]
    public async Task Submit_SameIdempotencyKeyTwoApiKeys_EachGetsItsOwnJob()
    {
        await using var server = await TestServer.StartAsync(TwoKeys);
        const string json = "{\"model\":\"count\",\"input\":{\"n\":3}}";

        var (a, alice) = await PostAsync(server, json, "alice-secret", "shared-key");
        var (b, bob) = await PostAsync(server, json, "bob-secret", "shared-key");

        Assert.True(a.IsSuccessStatusCode, alice.ToString());
        Assert.True(b.IsSuccessStatusCode, bob.ToString());
        Assert.False(b.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(alice.GetProperty("id").GetString(), bob.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Submit_SameInputTwoApiKeys_OtherKeyNeverAnsweredFromTheCache()
    {
        // A hit would hand bob alice's result and tell him (cached: true, a 200 at once) that she sent this exact input.
        await using var server = await TestServer.StartAsync(TwoKeys);
        const string json = "{\"model\":\"count\",\"input\":{\"n\":3}}";

        var (_, alice) = await PostAsync(server, json, "alice-secret", waitSeconds: 10);
        var (_, bob) = await PostAsync(server, json, "bob-secret", waitSeconds: 10);
        var (_, bobAgain) = await PostAsync(server, json, "bob-secret", waitSeconds: 10);

        Assert.Equal("succeeded", alice.GetProperty("status").GetString());
        Assert.Equal("succeeded", bob.GetProperty("status").GetString());
        Assert.False(bob.GetProperty("cached").GetBoolean());
        Assert.True(bobAgain.GetProperty("cached").GetBoolean());
    }

    [Fact]
    public async Task Submit_ScopeGlobalSameInputTwoApiKeys_OtherKeyAnsweredFromTheCache()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(TwoKeys) { ["Sluice:Cache:Scope"] = "global" });
        const string json = "{\"model\":\"count\",\"input\":{\"n\":3}}";

        var (_, alice) = await PostAsync(server, json, "alice-secret", waitSeconds: 10);
        var (_, bob) = await PostAsync(server, json, "bob-secret", waitSeconds: 10);

        Assert.Equal("succeeded", alice.GetProperty("status").GetString());
        Assert.True(bob.GetProperty("cached").GetBoolean());
    }

    [Fact]
    public async Task Submit_CacheFalse_WritesNothingALaterRequestReads()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (_, first) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":4},\"cache\":false}", waitSeconds: 10);
        var (_, second) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":4}}", waitSeconds: 10);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.False(second.GetProperty("cached").GetBoolean());
    }

    [Theory]
    [InlineData("{\"n\":3.0,\"temperature\":0}")]
    [InlineData("{\"temperature\":0,\"n\":3e0}")]
    [InlineData("{\"n\":30E-1,\"temperature\":-0.00}")]
    [InlineData("{\"n\":3,\"max_tokens\":null,\"temperature\":0,\"seed\":null}")]
    [InlineData("{\"temperature\":0.0,\"n\":3}")]
    public async Task Submit_SameInputSpeltDifferently_AnsweredFromTheCache(string respelt)
    {
        // A null optional field is the field left out, and a number is read by its value (docs/api.md): the same job.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        var (_, first) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3,\"temperature\":0}}", waitSeconds: 10);

        var (r, second) = await server.PostJobAsync("{\"model\":\"count\",\"input\":" + respelt + "}", waitSeconds: 10);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(second.GetProperty("cached").GetBoolean(), second.ToString());
        Assert.Equal(first.GetProperty("result").GetRawText(), second.GetProperty("result").GetRawText());
    }

    [Theory]
    [InlineData("{\"n\":3e1}")]
    [InlineData("{\"n\":4.0}")]
    [InlineData("{\"n\":3,\"seed\":18446744073709551614}")]
    public async Task Submit_OtherInputWithSimilarSpelling_NotAnsweredFromTheCache(string other)
    {
        // 18446744073709551615 and ...614 are one double: a key from a double would hand one seed's answer to the other.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        var (_, first) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3,\"seed\":18446744073709551615}}", waitSeconds: 10);
        var (_, warm) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3}}", waitSeconds: 10);

        var (_, second) = await server.PostJobAsync("{\"model\":\"count\",\"input\":" + other + "}", waitSeconds: 10);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal("succeeded", warm.GetProperty("status").GetString());
        Assert.Equal("succeeded", second.GetProperty("status").GetString());
        Assert.False(second.GetProperty("cached").GetBoolean(), second.ToString());
    }

    [Fact]
    public async Task Events_CachedAnswer_SingleCompletedEventWithTheResult()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        var (_, first) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":2}}", waitSeconds: 10);
        var (r, cached) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":2}}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(cached.GetProperty("cached").GetBoolean());
        Assert.NotEqual(first.GetProperty("id").GetString(), cached.GetProperty("id").GetString());

        var events = await server.ReadEventsAsync(cached.GetProperty("id").GetString()!);

        var e = Assert.Single(events);
        Assert.Equal("completed", e.Event);
        Assert.Equal(1, e.Id);
        Assert.Contains(first.GetProperty("result").GetProperty("text").GetString()!, e.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ResultsCachedUnderATightBound_SizeShownAndWithinMaxBytes()
    {
        // Each count result is about 100 characters: 1,000 bytes hold two or three of them.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1", ["Sluice:Cache:MaxBytes"] = "1000" });
        for (var n = 1; n <= 5; n++)
        {
            await server.PostJobAsync($"{{\"model\":\"count\",\"input\":{{\"n\":{n}}}}}", waitSeconds: 10);
        }

        var metrics = await server.Client.GetStringAsync("/metrics");

        var bytes = Sample(metrics, "sluice_cache_bytes");
        var entries = Sample(metrics, "sluice_cache_entries");
        Assert.InRange(bytes, 1, 1000);
        Assert.InRange(entries, 1, 4);
    }

    private static double Sample(string metrics, string name)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(TestServer server, string json, string apiKey, string? idempotencyKey = null, int waitSeconds = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (waitSeconds > 0)
        {
            request.Headers.Add("Prefer", $"wait={waitSeconds}");
        }

        var response = await server.Client.SendAsync(request);
        return (response, await TestServer.ReadJsonAsync(response));
    }
}
