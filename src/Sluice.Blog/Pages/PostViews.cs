using System.Globalization;
using System.Text;
using Sluice.Blog.Domain;

namespace Sluice.Blog.Pages;

/// <summary>The HTML of post lists, a post, and the post form.</summary>
internal static class PostViews
{
    public static void List(StringBuilder html, IReadOnlyList<Post> posts, bool showDrafts)
    {
        html.Append("<ol class=\"posts\" id=\"posts\">");
        foreach (var post in posts)
        {
            html.Append("<li data-post-id=\"").Append(post.Id.ToString(CultureInfo.InvariantCulture)).Append("\"><a href=\"/posts/")
                .Append(post.Id.ToString(CultureInfo.InvariantCulture)).Append("\" class=\"title\">").Append(Html.Encode(post.Title)).Append("</a>");
            if (showDrafts && !post.Published)
            {
                html.Append(" <span class=\"draft\">draft</span>");
            }

            html.Append("<div class=\"meta\">by <a href=\"/users/").Append(Html.Encode(post.AuthorName)).Append("\">").Append(Html.Encode(post.AuthorName))
                .Append("</a> · ").Append(Html.Date(post.CreatedAt)).Append("</div></li>");
        }

        html.Append("</ol>");
        if (posts.Count == 0)
        {
            html.Append("<p id=\"empty\">No posts yet.</p>");
        }
    }

    public static string Detail(Post post, bool isAuthor)
    {
        var html = new StringBuilder(post.Html.Length + 512);
        html.Append("<article id=\"post\" data-post-id=\"").Append(post.Id.ToString(CultureInfo.InvariantCulture)).Append("\"><h1 id=\"post-title\">")
            .Append(Html.Encode(post.Title)).Append("</h1><div class=\"meta\">by <a href=\"/users/").Append(Html.Encode(post.AuthorName)).Append("\">")
            .Append(Html.Encode(post.AuthorName)).Append("</a> · ").Append(Html.Date(post.CreatedAt));
        if (post.UpdatedAt != post.CreatedAt)
        {
            html.Append(" · edited ").Append(Html.Date(post.UpdatedAt));
        }

        if (!post.Published)
        {
            html.Append(" · <span class=\"draft\">draft, only you see it</span>");
        }

        html.Append("</div>");
        if (isAuthor)
        {
            html.Append("<p><a href=\"/posts/").Append(post.Id.ToString(CultureInfo.InvariantCulture)).Append("/edit\" id=\"edit\">Edit</a></p>");
        }

        // Sanitised when rendered from Markdown at save time.
        html.Append("<div class=\"body\" id=\"post-body\">").Append(post.Html).Append("</div></article>");
        return html.ToString();
    }

    /// <summary>The create or edit form; on the create form, the AI draft controls (Pages/Assets/draft.js drives them).</summary>
    public static string Form(HttpContext context, long? postId, PostInput input, FieldErrors errors, string? outline)
    {
        var html = new StringBuilder(input.Markdown.Length + 2048);
        var action = postId is null ? "/posts" : $"/posts/{postId.Value.ToString(CultureInfo.InvariantCulture)}";
        html.Append("<h1>").Append(postId is null ? "New post" : "Edit post").Append("</h1><form method=\"post\" action=\"").Append(action)
            .Append("\" id=\"post-form\" novalidate>").Append(Html.Antiforgery(context));
        Html.Field(html, "Title", "title", input.Title, errors.For("title"), extra: $"maxlength=\"{PostRules.MaxTitleLength}\" required");
        if (postId is null)
        {
            html.Append("<fieldset id=\"ai\"><legend>Draft with AI</legend>");
            Html.Field(html, "Outline (a point a line)", "outline", outline, errors.For("outline"), "textarea", "rows=\"4\"");
            html.Append("<p><button type=\"button\" id=\"suggest-outline\">Suggest an outline</button></p>");
            html.Append("<p><button type=\"button\" id=\"draft\">Draft with AI</button> <button type=\"button\" id=\"cancel-draft\" hidden>Stop</button> ")
                .Append("<span id=\"draft-status\" role=\"status\" data-state=\"idle\"></span></p></fieldset>");
        }

        Html.Field(html, "Body (Markdown)", "body", input.Markdown, errors.For("body"), "textarea", "rows=\"16\"");
        html.Append("<p class=\"field\"><label><input type=\"checkbox\" name=\"published\" id=\"published\" value=\"true\"")
            .Append(input.Published ? " checked" : "").Append("> Published</label></p><p><button type=\"submit\" id=\"save\">Save</button></p></form>");
        if (postId is null)
        {
            html.Append("<script src=\"/assets/draft.js\"></script>");
        }

        return html.ToString();
    }
}
