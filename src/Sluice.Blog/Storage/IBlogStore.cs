using Sluice.Blog.Domain;

namespace Sluice.Blog.Storage;

/// <summary>Users and posts. The SQLite file is the one implementation; the interface keeps the pages free of SQL.</summary>
internal interface IBlogStore
{
    /// <summary>Creates the schema or checks it; called once at start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The new user, or null when the username is taken (in any letter case).</summary>
    Task<BlogUser?> CreateUserAsync(string username, string passwordHash, CancellationToken cancellationToken);

    Task<StoredCredentials?> FindCredentialsAsync(string username, CancellationToken cancellationToken);

    Task<BlogUser?> GetUserAsync(long id, CancellationToken cancellationToken);

    Task<Post> CreatePostAsync(long authorId, PostInput input, string html, CancellationToken cancellationToken);

    /// <summary>The updated post, or null when no post <paramref name="postId"/> of <paramref name="authorId"/> exists.</summary>
    Task<Post?> UpdatePostAsync(long postId, long authorId, PostInput input, string html, CancellationToken cancellationToken);

    Task<Post?> GetPostAsync(long postId, CancellationToken cancellationToken);

    /// <summary>Published posts, newest first; <paramref name="page"/> counts from 1.</summary>
    Task<PostPage> ListPublishedAsync(int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>Every post of one author, drafts included, newest first.</summary>
    Task<IReadOnlyList<Post>> ListByAuthorAsync(long authorId, CancellationToken cancellationToken);
}
