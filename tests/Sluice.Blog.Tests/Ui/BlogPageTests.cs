using Microsoft.Playwright;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Browser;
using Sluice.Testing.Server;

namespace Sluice.Blog.Tests.Ui;

/// <summary>
/// The blog in a real browser (Debian chromium through Playwright) against the blog and a real Sluice server on
/// loopback: what an author does, from registering to a published post drafted by the model.
/// </summary>
public sealed class BlogPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [ToolFact("chromium")]
    public async Task DraftWithAi_RegisterOutlineDraftPublish_StreamedPostOnHome()
    {
        Assert.True(SharedDataFactAttribute.IsCi || Sluice.Core.Paths.SharedData.TryGetPath("models/stories260K.bin") is not null, "needs ../shared/models/stories260K.bin");
        await using var sluice = await Sluices.LocalModelAsync();
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress);
        var (page, errors) = await OpenAsync(blog);

        await page.GotoAsync("/register");
        await page.FillAsync("#username", "author");
        await page.FillAsync("#password", "correct horse battery");
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync("**/users/author");

        await page.ClickAsync("#nav-new");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#title", "A day at the park");
        await page.ClickAsync("#suggest-outline");
        await page.WaitForSelectorAsync("#draft-status[data-state=outlined]", new() { Timeout = 60_000 });
        Assert.False(string.IsNullOrWhiteSpace(await page.InputValueAsync("#outline")));
        // A short outline of our own: the tiny model's suggestion may be too long a prompt for its 512-token context.
        await page.FillAsync("#outline", "The dog\nThe ball\nGoing home");
        await page.ClickAsync("#draft");
        // Streamed: the editor fills while the job runs, and the status ends at done.
        await page.WaitForSelectorAsync("#draft-status[data-state=done]", new() { Timeout = 60_000 });
        var drafted = await page.InputValueAsync("#body");
        Assert.False(string.IsNullOrWhiteSpace(drafted));
        var jobId = await page.GetAttributeAsync("#draft-status", "data-job-id");
        var job = await sluice.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());

        await page.CheckAsync("#published");
        await page.ClickAsync("#save");
        await page.WaitForSelectorAsync("#post-title");
        Assert.Equal("A day at the park", await page.TextContentAsync("#post-title"));

        // A reader who is not signed in sees it on the home page.
        var (reader, readerErrors) = await OpenAsync(blog);
        await reader.GotoAsync("/");
        Assert.Equal("A day at the park", await reader.Locator("#posts li .title").First.TextContentAsync());
        Assert.Empty(errors);
        Assert.Empty(readerErrors);
    }

    [ToolFact("chromium")]
    public async Task DraftWithAi_NoOutline_ShowsTheProblemAtTheField()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere());
        var (page, _) = await OpenAsync(blog);
        await page.GotoAsync("/register");
        await page.FillAsync("#username", "author");
        await page.FillAsync("#password", "correct horse battery");
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync("**/users/author");
        await page.GotoAsync("/posts/new");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#title", "A title");

        await page.ClickAsync("#draft");
        await page.WaitForSelectorAsync("#draft-status[data-state=error]");

        Assert.Equal("true", await page.GetAttributeAsync("#outline", "aria-invalid"));
        Assert.StartsWith("outline: ", await page.TextContentAsync("#draft-status"), StringComparison.Ordinal);
        Assert.True(await page.IsEnabledAsync("#draft"));
    }

    private async Task<(IPage Page, List<string> Errors)> OpenAsync(BlogServer blog)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = blog.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        // A script or style the content security policy blocked, or a script error, shows here.
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                errors.Add($"{m.Text} ({m.Location})");
            }
        };
        page.PageError += (_, e) => errors.Add(e);
        return (page, errors);
    }
}
