using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Blog.Drafting;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Blog.Tests.Drafting;

/// <summary>
/// "Draft with AI" end to end over real HTTP: the blog on loopback submits to a real Sluice server started in
/// process and relays its job's events.
/// </summary>
public sealed class DraftEndpointsTests
{
    private static async Task<HttpResponseMessage> DraftAsync(BlogClient client, string title, string outline, string formPage = "/posts/new")
    {
        var token = await client.TokenAsync(formPage);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/drafts")
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", title), new("outline", outline)]),
        };
        return await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Draft_LocalModel_RelaysJobEventsWithTextEndingCompleted()
    {
        await using var sluice = await Sluices.LocalModelAsync();
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress);
        using var client = blog.NewClient();
        await client.RegisterAsync("drafter");

        using var response = await DraftAsync(client, "A walk in the park", "The dog\nThe ball\nGoing home");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string Event, string Data)>();
        await foreach (var e in SseEvents.ReadAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        Assert.Equal("job", events[0].Event);
        var jobId = JsonDocument.Parse(events[0].Data).RootElement.GetProperty("id").GetString()!;
        Assert.Equal("completed", events[^1].Event);
        var text = string.Concat(events.Where(e => e.Event == "delta").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(text));
        // The relayed text is the job's own result, as Sluice stored it.
        var job = await sluice.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(job.GetProperty("result").GetProperty("text").GetString(), text);
        Assert.Equal(0, blog.Services.GetRequiredService<DraftRegistry>().Count);
    }

    [Theory]
    [InlineData("", "a point", "title")]
    [InlineData("A title", "   ", "outline")]
    public async Task Draft_MissingField_400ProblemNamingIt(string title, string outline, string field)
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere());
        using var client = blog.NewClient();
        await client.RegisterAsync("drafter");

        using var response = await DraftAsync(client, title, outline);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Draft_SluiceNotListening_503ProblemWithRetryAfter()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere());
        using var client = blog.NewClient();
        await client.RegisterAsync("drafter");

        using var response = await DraftAsync(client, "A title", "a point");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("not reachable", (await BlogClient.ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Draft_NotSignedIn_401Problem()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere());
        using var client = blog.NewClient();

        using var response = await DraftAsync(client, "A title", "a point", "/register");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Draft_SluiceWithKeys_BlogsKeyUsedAndWrongKeyIs502NamingTheSetting()
    {
        var keys = new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "blog",
            ["Sluice:Auth:Keys:0:Key"] = "blog-secret",
            ["Sluice:BuiltIns:CountStepMs"] = "1",
        };
        await using var sluice = await Sluices.BuiltInsAsync(keys);
        await using var good = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:ApiKey"] = "blog-secret",
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "5",
        });
        await using var bad = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string> { ["Blog:Sluice:ApiKey"] = "wrong", ["Blog:Sluice:Model"] = "count" });
        using var goodClient = good.NewClient();
        await goodClient.RegisterAsync("drafter");
        using var badClient = bad.NewClient();
        await badClient.RegisterAsync("drafter");

        using var ok = await DraftAsync(goodClient, "A title", "a point");
        var body = await ok.Content.ReadAsStringAsync();
        using var refused = await DraftAsync(badClient, "A title", "a point");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("event: completed", body, StringComparison.Ordinal);
        // The key never reaches the browser.
        Assert.DoesNotContain("blog-secret", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("Blog:Sluice:ApiKey", (await BlogClient.ProblemAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_RunningDraft_SluiceJobEndsCancelledAndStreamSaysSo()
    {
        // count at 50 ms a token for 2,000 tokens: a draft that runs far longer than the test.
        await using var sluice = await Sluices.BuiltInsAsync(new() { ["Sluice:BuiltIns:CountStepMs"] = "50" });
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "2000",
        });
        using var client = blog.NewClient();
        await client.RegisterAsync("drafter");
        using var other = blog.NewClient();
        await other.RegisterAsync("someone-else");

        using var response = await DraftAsync(client, "A title", "a point");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var enumerator = SseEvents.ReadAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        var jobId = JsonDocument.Parse(enumerator.Current.Data).RootElement.GetProperty("id").GetString()!;
        do
        {
            Assert.True(await enumerator.MoveNextAsync());
        }
        while (enumerator.Current.Event != "delta");

        // Another user cannot stop it: the same 404 as an unknown draft.
        using var foreign = await other.PostFormAsync("/posts/new", $"/drafts/{jobId}/cancel");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("jobId", (await BlogClient.ProblemAsync(foreign)).GetProperty("field").GetString());

        using var cancel = await client.PostFormAsync("/posts/new", $"/drafts/{jobId}/cancel");

        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        var last = "";
        while (await enumerator.MoveNextAsync())
        {
            last = enumerator.Current.Event;
        }

        Assert.Equal("cancelled", last);
        Assert.Equal("cancelled", (await sluice.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Draft_BrowserGoesAway_SluiceJobIsCancelled()
    {
        await using var sluice = await Sluices.BuiltInsAsync(new() { ["Sluice:BuiltIns:CountStepMs"] = "50" });
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "2000",
        });
        using var client = blog.NewClient();
        await client.RegisterAsync("drafter");
        string jobId;
        using (var response = await DraftAsync(client, "A title", "a point"))
        {
            await using var enumerator = SseEvents.ReadAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
            Assert.True(await enumerator.MoveNextAsync());
            jobId = JsonDocument.Parse(enumerator.Current.Data).RootElement.GetProperty("id").GetString()!;
            do
            {
                Assert.True(await enumerator.MoveNextAsync());
            }
            while (enumerator.Current.Event != "delta");
        }

        // Disposing the response closed the browser's connection: the relay's stream to Sluice closes and Sluice cancels.
        Assert.Equal("cancelled", (await sluice.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Draft_ThirdAtOnceBySameUser_429ProblemAndOtherUserStillDrafts()
    {
        await using var sluice = await Sluices.BuiltInsAsync(new() { ["Sluice:BuiltIns:CountStepMs"] = "50" });
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "2000",
        });
        using var client = blog.NewClient();
        await client.RegisterAsync("greedy");
        using var other = blog.NewClient();
        await other.RegisterAsync("patient");

        using var first = await DraftAsync(client, "One", "a point");
        using var second = await DraftAsync(client, "Two", "a point");
        using var third = await DraftAsync(client, "Three", "a point");
        using var others = await DraftAsync(other, "Mine", "a point");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((HttpStatusCode)429, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Equal(429, (await BlogClient.ProblemAsync(third)).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.OK, others.StatusCode);
    }

    [Fact]
    public async Task Draft_LongerThanTheSluiceTimeout_StreamRunsToCompleted()
    {
        // 60 tokens at 50 ms: a 3 s draft against a 1 s timeout, which bounds only the wait for an answer.
        await using var sluice = await Sluices.BuiltInsAsync(new() { ["Sluice:BuiltIns:CountStepMs"] = "50" });
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "60",
            ["Blog:Sluice:TimeoutSeconds"] = "1",
        });
        using var client = blog.NewClient();
        await client.RegisterAsync("patient");

        using var response = await DraftAsync(client, "A title", "a point");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: completed", body, StringComparison.Ordinal);
        // count writes 1..60: the last number arrived.
        Assert.Contains("60", body, StringComparison.Ordinal);
    }
}
