using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Blog.Hosting;
using Sluice.Blog.Pages;
using Sluice.Blog.Publishing;
using Sluice.Blog.Security;
using Sluice.Blog.Storage;

namespace Sluice.Blog.Api;

/// <summary>
/// The JSON API under <c>/api</c>: read published posts, and create or edit one's own with the sign-in cookie.
/// Errors are RFC 7807 problems naming the field.
/// </summary>
internal static class PostsApi
{
    public static IEndpointRouteBuilder MapPostsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/posts");
        api.MapGet("", ListAsync);
        api.MapGet("/{id:long}", GetAsync);
        api.MapPost("", CreateAsync).RequireAuthorization();
        api.MapPut("/{id:long}", UpdateAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<IResult> ListAsync(HttpContext context, string? page, IBlogStore store, IOptions<BlogOptions> options)
    {
        if (!PageNumber.TryParse(page, out var number))
        {
            return BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid query", "page", PageNumber.Error);
        }

        var posts = await store.ListPublishedAsync(number, options.Value.PageSize, context.RequestAborted);
        var items = new List<PostJson>(posts.Posts.Count);
        foreach (var post in posts.Posts)
        {
            items.Add(PostJson.From(post));
        }

        return Results.Ok(new PostPageJson(items, number, posts.HasMore ? $"/api/posts?page={(number + 1).ToString(CultureInfo.InvariantCulture)}" : null));
    }

    private static async Task<IResult> GetAsync(HttpContext context, long id, IBlogStore store)
    {
        var post = await store.GetPostAsync(id, context.RequestAborted);
        return post is null || (!post.Published && post.AuthorId != CurrentUser.Id(context.User))
            ? BlogProblems.Field(StatusCodes.Status404NotFound, "Post not found", "id", $"There is no post {id}.")
            : Results.Ok(PostJson.From(post));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, PostWriter writer)
    {
        var (input, problem) = await PostBodyReader.ReadAsync(context.Request);
        if (problem is not null)
        {
            return problem;
        }

        var result = await writer.CreateAsync(CurrentUser.Id(context.User)!.Value, input!, context.RequestAborted);
        return result.Status == PostWriteStatus.Saved
            ? Results.Created($"/api/posts/{result.Post!.Id.ToString(CultureInfo.InvariantCulture)}", PostJson.From(result.Post))
            : BlogProblems.Invalid(result.Errors);
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, long id, PostWriter writer)
    {
        var (input, problem) = await PostBodyReader.ReadAsync(context.Request);
        if (problem is not null)
        {
            return problem;
        }

        var result = await writer.UpdateAsync(id, CurrentUser.Id(context.User)!.Value, input!, context.RequestAborted);
        return result.Status switch
        {
            PostWriteStatus.Saved => Results.Ok(PostJson.From(result.Post!)),
            PostWriteStatus.NotAuthor when result.Post!.Published =>
                BlogProblems.Field(StatusCodes.Status403Forbidden, "Not your post", "id", "Only the author of a post can edit it."),
            PostWriteStatus.NotFound or PostWriteStatus.NotAuthor =>
                BlogProblems.Field(StatusCodes.Status404NotFound, "Post not found", "id", $"There is no post {id}."),
            _ => BlogProblems.Invalid(result.Errors),
        };
    }
}
