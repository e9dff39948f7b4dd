using Sluice.Blog.Rendering;

namespace Sluice.Blog.Tests.Rendering;

public sealed class MarkdownRendererTests
{
    [Fact]
    public void ToHtml_Markdown_RendersEmphasisAndHeadings()
    {
        var html = MarkdownRenderer.ToHtml("# Title\n\nSome *text* and a [link](https://example.org/a).");

        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("<em>text</em>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.org/a\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_RawHtmlAndScriptLinks_Escaped()
    {
        var html = MarkdownRenderer.ToHtml("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![i](data:text/html,evil)");

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:text", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }
}
