using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Blog.Drafting;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Blog.Tests.Drafting;

/// <summary>
/// "Draft with AI" end to end over real HTTP: the blog on loopback submits to a real Sluice server started in
/// process and relays its job's events.
/// </summary>
public sealed class DraftEndpointsTests
{
    [SharedDataFact("models/stories260K.bin")]
    public async Task Draft_LocalModel_RelaysJobEventsWithTextEndingCompleted()
    {
        await using var rig = await DraftRig.LocalModelAsync();

        using var response = await rig.DraftAsync("A walk in the park", "The dog\nThe ball\nGoing home");

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
        var job = await rig.Sluice.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(job.GetProperty("result").GetProperty("text").GetString(), text);
        Assert.Equal(0, rig.Blog.Services.GetRequiredService<DraftRegistry>().Count);
    }

    [Theory]
    [InlineData("", "a point", "title")]
    [InlineData("A title", "   ", "outline")]
    public async Task Draft_MissingField_400ProblemNamingIt(string title, string outline, string field)
    {
        await using var rig = await DraftRig.WithoutSluiceAsync();

        using var response = await rig.DraftAsync(title, outline);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Draft_SluiceNotListening_503ProblemWithRetryAfter()
    {
        await using var rig = await DraftRig.WithoutSluiceAsync();

        using var response = await rig.DraftAsync("A title", "a point");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("not reachable", (await BlogClient.ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Draft_NotSignedIn_401Problem()
    {
        await using var rig = await DraftRig.WithoutSluiceAsync();
        using var stranger = rig.Blog.NewClient();

        using var response = await DraftRig.DraftAsync(stranger, "A title", "a point", "/register");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Draft_SluiceWithKeys_BlogsKeyUsedAndWrongKeyIs502NamingTheSetting()
    {
        var keys = new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "blog",
            ["Sluice:Auth:Keys:0:Key"] = "blog-secret",
        };
        await using var good = await DraftRig.CountingAsync(stepMs: 1, maxTokens: 5, blogSettings: new() { ["Blog:Sluice:ApiKey"] = "blog-secret" }, sluiceSettings: keys);
        // A second blog on the same Sluice with the wrong key.
        await using var bad = await BlogServer.StartAsync(good.Sluice.BaseAddress, new Dictionary<string, string> { ["Blog:Sluice:ApiKey"] = "wrong", ["Blog:Sluice:Model"] = "count" });
        using var badClient = bad.NewClient();
        await badClient.RegisterAsync("drafter");

        using var ok = await good.DraftAsync("A title", "a point");
        var body = await ok.Content.ReadAsStringAsync();
        using var refused = await DraftRig.DraftAsync(badClient, "A title", "a point");

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
        await using var rig = await DraftRig.CountingAsync(stepMs: 50, maxTokens: 2000);
        using var other = await rig.SignInAsync("someone-else");

        using var response = await rig.DraftAsync("A title", "a point");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var enumerator = SseEvents.ReadAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
        var jobId = await DraftRig.JobIdOnceRunningAsync(enumerator);

        // Another user cannot stop it: the same 404 as an unknown draft.
        using var foreign = await other.PostFormAsync("/posts/new", $"/drafts/{jobId}/cancel");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("jobId", (await BlogClient.ProblemAsync(foreign)).GetProperty("field").GetString());

        using var cancel = await rig.Author.PostFormAsync("/posts/new", $"/drafts/{jobId}/cancel");

        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        var last = "";
        while (await enumerator.MoveNextAsync())
        {
            last = enumerator.Current.Event;
        }

        Assert.Equal("cancelled", last);
        Assert.Equal("cancelled", (await rig.Sluice.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Draft_BrowserGoesAway_SluiceJobIsCancelled()
    {
        await using var rig = await DraftRig.CountingAsync(stepMs: 50, maxTokens: 2000);
        string jobId;
        using (var response = await rig.DraftAsync("A title", "a point"))
        {
            await using var enumerator = SseEvents.ReadAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
            jobId = await DraftRig.JobIdOnceRunningAsync(enumerator);
        }

        // Disposing the response closed the browser's connection: the relay's stream to Sluice closes and Sluice cancels.
        Assert.Equal("cancelled", (await rig.Sluice.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Draft_ThirdAtOnceBySameUser_429ProblemAndOtherUserStillDrafts()
    {
        await using var rig = await DraftRig.CountingAsync(stepMs: 50, maxTokens: 2000, author: "greedy");
        using var other = await rig.SignInAsync("patient");

        using var first = await rig.DraftAsync("One", "a point");
        using var second = await rig.DraftAsync("Two", "a point");
        using var third = await rig.DraftAsync("Three", "a point");
        using var others = await DraftRig.DraftAsync(other, "Mine", "a point");

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
        await using var rig = await DraftRig.CountingAsync(stepMs: 50, maxTokens: 60, author: "patient", blogSettings: new() { ["Blog:Sluice:TimeoutSeconds"] = "1" });

        using var response = await rig.DraftAsync("A title", "a point");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: completed", body, StringComparison.Ordinal);
        // count writes 1..60: the last number arrived.
        Assert.Contains("60", body, StringComparison.Ordinal);
    }
}
