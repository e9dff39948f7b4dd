using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Sluice.Blog.Security;

namespace Sluice.Blog.Pages;

/// <summary>
/// Server-rendered HTML: every value goes through <see cref="Encode"/>, the one place text meets markup. A post's
/// own HTML is the only markup inserted as is, and it was sanitised when rendered from Markdown.
/// </summary>
internal static class Html
{
    public static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>A whole page: the layout with the navigation for the signed-in user (or the sign-in links) around <paramref name="body"/>.</summary>
    public static IResult Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(body.Length + 1024);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Encode(title)).Append(" · Sluice Blog</title><link rel=\"stylesheet\" href=\"/assets/blog.css\"><link rel=\"icon\" href=\"data:,\"></head><body>")
            .Append("<header><nav><a href=\"/\" class=\"brand\">Sluice Blog</a>");
        var name = CurrentUser.Name(context.User);
        if (name is null)
        {
            html.Append("<a href=\"/login\">Sign in</a><a href=\"/register\">Register</a>");
        }
        else
        {
            html.Append("<a href=\"/posts/new\" id=\"nav-new\">New post</a><a href=\"/users/").Append(Encode(name)).Append("\" id=\"nav-profile\">")
                .Append(Encode(name)).Append("</a><form method=\"post\" action=\"/logout\" class=\"inline\">").Append(Antiforgery(context))
                .Append("<button type=\"submit\" id=\"logout\">Sign out</button></form>");
        }

        html.Append("</nav></header><main>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>The hidden antiforgery field every form POST must carry.</summary>
    public static string Antiforgery(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{Encode(tokens.FormFieldName)}\" value=\"{Encode(tokens.RequestToken)}\">";
    }

    /// <summary>A labelled input or textarea with its error below it, marked <c>aria-invalid</c> when it has one.</summary>
    public static void Field(StringBuilder html, string label, string name, string? value, string? error, string type = "text", string extra = "")
    {
        html.Append("<p class=\"field\"><label for=\"").Append(name).Append("\">").Append(Encode(label)).Append("</label>");
        var invalid = error is null ? "" : $" aria-invalid=\"true\" aria-describedby=\"{name}-error\"";
        if (type == "textarea")
        {
            html.Append("<textarea id=\"").Append(name).Append("\" name=\"").Append(name).Append('"').Append(invalid).Append(' ').Append(extra).Append('>')
                .Append(Encode(value)).Append("</textarea>");
        }
        else
        {
            html.Append("<input type=\"").Append(type).Append("\" id=\"").Append(name).Append("\" name=\"").Append(name).Append("\" value=\"")
                .Append(Encode(value)).Append('"').Append(invalid).Append(' ').Append(extra).Append('>');
        }

        if (error is not null)
        {
            html.Append("<span class=\"error\" id=\"").Append(name).Append("-error\">").Append(Encode(error)).Append("</span>");
        }

        html.Append("</p>");
    }

    public static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
