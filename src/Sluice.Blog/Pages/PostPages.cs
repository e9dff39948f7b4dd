using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Blog.Domain;
using Sluice.Blog.Hosting;
using Sluice.Blog.Publishing;
using Sluice.Blog.Security;
using Sluice.Blog.Storage;

namespace Sluice.Blog.Pages;

/// <summary>
/// Home, post, profile and the create and edit forms. Home and post pages are output-cached for anonymous readers
/// (the default policy never caches a signed-in user's page) and evicted by every write.
/// </summary>
internal static class PostPages
{
    public static IEndpointRouteBuilder MapPostPages(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", HomeAsync).CacheOutput(CacheTags.Posts);
        routes.MapGet("/posts/{id:long}", DetailAsync).CacheOutput(CacheTags.Posts);
        routes.MapGet("/users/{username}", ProfileAsync);
        routes.MapGet("/posts/new", (HttpContext context) =>
            Html.Page(context, "New post", PostViews.Form(context, null, new PostInput("", "", Published: true), new FieldErrors(), null)))
            .RequireAuthorization();
        routes.MapPost("/posts", CreateAsync).RequireAuthorization();
        routes.MapGet("/posts/{id:long}/edit", EditAsync).RequireAuthorization();
        routes.MapPost("/posts/{id:long}", UpdateAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<IResult> HomeAsync(HttpContext context, string? page, IBlogStore store, IOptions<BlogOptions> options)
    {
        if (!PageNumber.TryParse(page, out var number))
        {
            return ErrorPages.BadRequest(context, "page", PageNumber.Error);
        }

        var posts = await store.ListPublishedAsync(number, options.Value.PageSize, context.RequestAborted);
        var html = new StringBuilder();
        html.Append("<h1>Latest posts</h1>");
        PostViews.List(html, posts.Posts, showDrafts: false);
        html.Append("<nav class=\"pager\">");
        if (number > 1)
        {
            html.Append("<a href=\"/?page=").Append((number - 1).ToString(CultureInfo.InvariantCulture)).Append("\" id=\"newer\">Newer</a>");
        }

        if (posts.HasMore)
        {
            html.Append("<a href=\"/?page=").Append((number + 1).ToString(CultureInfo.InvariantCulture)).Append("\" id=\"older\">Older</a>");
        }

        html.Append("</nav>");
        return Html.Page(context, "Home", html.ToString());
    }

    private static async Task<IResult> DetailAsync(HttpContext context, long id, IBlogStore store)
    {
        var post = await store.GetPostAsync(id, context.RequestAborted);
        var userId = CurrentUser.Id(context.User);
        // A draft is its author's alone: to anyone else it does not exist.
        if (post is null || (!post.Published && post.AuthorId != userId))
        {
            return ErrorPages.NotFound(context, $"There is no post {id}.");
        }

        return Html.Page(context, post.Title, PostViews.Detail(post, post.AuthorId == userId));
    }

    private static async Task<IResult> ProfileAsync(HttpContext context, string username, IBlogStore store)
    {
        var found = await store.FindCredentialsAsync(username, context.RequestAborted);
        if (found is null)
        {
            return ErrorPages.NotFound(context, $"There is no user {username}.");
        }

        var user = found.User;
        var own = CurrentUser.Id(context.User) == user.Id;
        var posts = await store.ListByAuthorAsync(user.Id, context.RequestAborted);
        var visible = own ? posts : PublishedOnly(posts);
        var html = new StringBuilder();
        html.Append("<h1 id=\"profile-name\">").Append(Html.Encode(user.Username)).Append("</h1><p class=\"meta\">Writing since ")
            .Append(Html.Date(user.CreatedAt)).Append(" · ").Append(visible.Count.ToString(CultureInfo.InvariantCulture)).Append(" posts</p>");
        PostViews.List(html, visible, showDrafts: own);
        return Html.Page(context, user.Username, html.ToString());
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IFormCollection form, PostWriter writer)
    {
        var input = Read(form);
        var result = await writer.CreateAsync(CurrentUser.Id(context.User)!.Value, input, context.RequestAborted);
        return result.Status == PostWriteStatus.Saved
            ? Results.Redirect($"/posts/{result.Post!.Id.ToString(CultureInfo.InvariantCulture)}")
            : Html.Page(context, "New post", PostViews.Form(context, null, input, result.Errors, form["outline"]), StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> EditAsync(HttpContext context, long id, IBlogStore store)
    {
        var post = await store.GetPostAsync(id, context.RequestAborted);
        if (post is null || (!post.Published && post.AuthorId != CurrentUser.Id(context.User)))
        {
            return ErrorPages.NotFound(context, $"There is no post {id}.");
        }

        return post.AuthorId != CurrentUser.Id(context.User)
            ? ErrorPages.Forbidden(context, "Only the author of a post can edit it.")
            : Html.Page(context, "Edit post", PostViews.Form(context, id, new PostInput(post.Title, post.Markdown, post.Published), new FieldErrors(), null));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, long id, IFormCollection form, PostWriter writer)
    {
        var input = Read(form);
        var result = await writer.UpdateAsync(id, CurrentUser.Id(context.User)!.Value, input, context.RequestAborted);
        return result.Status switch
        {
            PostWriteStatus.Saved => Results.Redirect($"/posts/{id.ToString(CultureInfo.InvariantCulture)}"),
            PostWriteStatus.NotFound => ErrorPages.NotFound(context, $"There is no post {id}."),
            PostWriteStatus.NotAuthor when result.Post!.Published => ErrorPages.Forbidden(context, "Only the author of a post can edit it."),
            PostWriteStatus.NotAuthor => ErrorPages.NotFound(context, $"There is no post {id}."),
            _ => Html.Page(context, "Edit post", PostViews.Form(context, id, input, result.Errors, null), StatusCodes.Status400BadRequest),
        };
    }

    private static List<Post> PublishedOnly(IReadOnlyList<Post> posts)
    {
        var published = new List<Post>(posts.Count);
        foreach (var post in posts)
        {
            if (post.Published)
            {
                published.Add(post);
            }
        }

        return published;
    }

    // A checkbox sends its value only when ticked.
    private static PostInput Read(IFormCollection form) =>
        new(form["title"].ToString(), form["body"].ToString().Replace("\r\n", "\n", StringComparison.Ordinal), form["published"] == "true");
}
