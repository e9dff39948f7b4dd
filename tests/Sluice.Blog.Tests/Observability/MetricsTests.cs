using System.Net;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Blog.Tests.Observability;

/// <summary><c>GET /metrics</c> over real HTTP: what a reader and an author did shows in the counters.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_AfterReadsAndADraft_CountsRoutesCacheHitsPostsAndDrafts()
    {
        await using var sluice = await Sluices.BuiltInsAsync(new() { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        await using var blog = await BlogServer.StartAsync(sluice.BaseAddress, new Dictionary<string, string>
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = "5",
        });
        using var author = blog.NewClient();
        await author.RegisterAsync("counted");
        var id = await author.CreatePostAsync("Counted post", "body");
        var token = await author.TokenAsync("/posts/new");
        using (var draft = await author.Http.PostAsync("/drafts", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", "t"), new("outline", "o")])))
        {
            Assert.Contains("event: completed", await draft.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var reader = blog.NewClient();
        for (var i = 0; i < 3; i++)
        {
            using var page = await reader.Http.GetAsync($"/posts/{id}");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        var text = await reader.Http.GetStringAsync("/metrics");

        Assert.Equal(3, PrometheusText.Counter(text, "sluice_blog_requests_total", "route=\"/posts/:id\"", "method=\"GET\"", "status=\"200\""));
        Assert.Equal(2, PrometheusText.Counter(text, "sluice_blog_page_cache_total", "result=\"hit\""));
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_blog_page_cache_total", "result=\"miss\""));
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_blog_drafts_total", "outcome=\"completed\""));
        Assert.Contains("sluice_blog_draft_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_blog_posts_created_total 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_blog_users_registered_total 1\n", text, StringComparison.Ordinal);
        // The blog's own buckets (up to 120 s for a draft), and the counters nothing touched yet still show 0.
        Assert.Contains("sluice_blog_draft_seconds_bucket{le=\"120\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_blog_posts_updated_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_blog_drafts_total{outcome=\"refused\"} 0\n", text, StringComparison.Ordinal);
    }

    [ToolFact("promtool")]
    public async Task Metrics_Exposition_PassesPromtoolCheck()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere());
        using var client = blog.NewClient();
        await client.Http.GetStringAsync("/");
        var text = await client.Http.GetStringAsync("/metrics");

        var promtool = await Promtool.CheckMetricsAsync(text);

        Assert.True(promtool.ExitCode == 0, $"promtool: {promtool.Findings}");
        Assert.True(promtool.IsClean, $"promtool lint findings: {promtool.Findings}");
    }
}
