using System.Net;
using System.Text.Json;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Blog.Tests.Drafting;

/// <summary>"Suggest an outline" over real HTTP: the blog asks a real Sluice server's blog-outline task and waits for it.</summary>
public sealed class OutlineEndpointTests
{
    private static async Task<HttpResponseMessage> OutlineAsync(BlogClient client, string title)
    {
        var token = await client.TokenAsync("/posts/new");
        return await client.Http.PostAsync("/outlines", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", title)]));
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Outline_LocalModel_ReturnsTheTasksText()
    {
        await using var rig = await DraftRig.LocalModelAsync("outliner");

        using var response = await OutlineAsync(rig.Author, "A day at the park");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var outline = doc.RootElement.GetProperty("outline").GetString();
        Assert.False(string.IsNullOrWhiteSpace(outline));
        // The text is the blog-outline job's own result.
        var jobs = await rig.Sluice.GetJsonAsync("/v1/jobs?limit=1");
        var job = await rig.Sluice.GetJsonAsync($"/v1/jobs/{jobs.GetProperty("data")[0].GetProperty("id").GetString()}");
        Assert.Equal(outline, job.GetProperty("result").GetProperty("text").GetString()!.Trim());
    }

    [Fact]
    public async Task Outline_NoTitle_400NamingTitle()
    {
        await using var rig = await DraftRig.WithoutSluiceAsync("outliner");

        using var response = await OutlineAsync(rig.Author, " ");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("title", (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Outline_SluiceNotListening_503Problem()
    {
        await using var rig = await DraftRig.WithoutSluiceAsync("outliner");

        using var response = await OutlineAsync(rig.Author, "A title");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }
}
