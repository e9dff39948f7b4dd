using Microsoft.AspNetCore.OutputCaching;
using Sluice.Blog.Domain;
using Sluice.Blog.Hosting;
using Sluice.Blog.Observability;
using Sluice.Blog.Rendering;
using Sluice.Blog.Storage;

namespace Sluice.Blog.Publishing;

/// <summary>
/// Creates and edits posts for the forms and the JSON API alike: validates, renders the Markdown once, stores, and
/// evicts the cached pages so no reader sees the old text after the write is answered.
/// </summary>
internal sealed class PostWriter(IBlogStore store, IOutputCacheStore cache, BlogMetrics metrics)
{
    public async Task<PostWriteResult> CreateAsync(long authorId, PostInput input, CancellationToken cancellationToken)
    {
        var errors = PostRules.Validate(input);
        if (!errors.IsEmpty)
        {
            return new PostWriteResult(PostWriteStatus.Invalid, null, errors);
        }

        var post = await store.CreatePostAsync(authorId, Normalize(input), MarkdownRenderer.ToHtml(input.Markdown), cancellationToken);
        await cache.EvictByTagAsync(CacheTags.Posts, CancellationToken.None);
        metrics.PostCreated();
        return new PostWriteResult(PostWriteStatus.Saved, post, errors);
    }

    public async Task<PostWriteResult> UpdateAsync(long postId, long authorId, PostInput input, CancellationToken cancellationToken)
    {
        var existing = await store.GetPostAsync(postId, cancellationToken);
        if (existing is null)
        {
            return new PostWriteResult(PostWriteStatus.NotFound, null, new FieldErrors());
        }

        if (existing.AuthorId != authorId)
        {
            return new PostWriteResult(PostWriteStatus.NotAuthor, existing, new FieldErrors());
        }

        var errors = PostRules.Validate(input);
        if (!errors.IsEmpty)
        {
            return new PostWriteResult(PostWriteStatus.Invalid, existing, errors);
        }

        // The store checks the author again in the UPDATE itself.
        var post = await store.UpdatePostAsync(postId, authorId, Normalize(input), MarkdownRenderer.ToHtml(input.Markdown), cancellationToken);
        // Evicted whatever the outcome: not cancellable, as a cancelled eviction would leave a stale page cached.
        await cache.EvictByTagAsync(CacheTags.Posts, CancellationToken.None);
        if (post is not null)
        {
            metrics.PostUpdated();
        }

        return post is null
            ? new PostWriteResult(PostWriteStatus.NotFound, null, errors)
            : new PostWriteResult(PostWriteStatus.Saved, post, errors);
    }

    private static PostInput Normalize(PostInput input) => input with { Title = input.Title.Trim() };
}
