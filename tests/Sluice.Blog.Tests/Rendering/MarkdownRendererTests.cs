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

    [Theory]
    [InlineData("[a][r]\n\n[r]: javascript:alert(1)")]
    [InlineData("[b](javascript&#58;alert(1))")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("![c](javascript:alert(1))")]
    [InlineData("[d](JaVaScRiPt:alert(1))")]
    [InlineData("[e](<java\tscript:alert(1)>)")]
    [InlineData("[f](vbscript:msgbox(1))")]
    public void ToHtml_ScriptAddressInAnyLinkForm_Dropped(string markdown)
    {
        var html = MarkdownRenderer.ToHtml(markdown);

        Assert.DoesNotContain("script:", html.Replace("\t", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("script&#58;", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ToHtml_QuoteInLinkTitleOrImageAlt_StaysInsideTheAttribute()
    {
        var html = MarkdownRenderer.ToHtml("[f](https://example.org \"t\\\" onmouseover=alert(1)\") ![x\" onerror=\"alert(1)](https://example.org/i.png)");

        Assert.DoesNotContain("\" onmouseover", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\" onerror", html, StringComparison.Ordinal);
    }
}
