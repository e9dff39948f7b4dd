using Microsoft.Data.Sqlite;
using Sluice.Blog.Domain;
using Sluice.Blog.Storage;
using Sluice.Testing;

namespace Sluice.Blog.Tests.Storage;

/// <summary>The store on a real SQLite file in a temp folder.</summary>
public sealed class SqliteBlogStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => _folder.Dispose();

    private async Task<SqliteBlogStore> OpenAsync()
    {
        var store = new SqliteBlogStore(_folder.File("blog.db"), _time);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task CreateUserAsync_SameNameOtherCase_ReturnsNull()
    {
        var store = await OpenAsync();

        var first = await store.CreateUserAsync("Alice", "hash", CancellationToken.None);
        var second = await store.CreateUserAsync("alice", "hash", CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(second);
        var found = await store.FindCredentialsAsync("ALICE", CancellationToken.None);
        Assert.Equal(first!.Id, found!.User.Id);
        Assert.Equal("hash", found.PasswordHash);
    }

    [Fact]
    public async Task CreatePostAsync_ThenReopenFile_PostSurvives()
    {
        var store = await OpenAsync();
        var user = (await store.CreateUserAsync("bob", "h", CancellationToken.None))!;

        var post = await store.CreatePostAsync(user.Id, new PostInput("Title", "*hi*", true), "<p><em>hi</em></p>", CancellationToken.None);

        var reopened = await OpenAsync();
        var read = await reopened.GetPostAsync(post.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal("Title", read!.Title);
        Assert.Equal("*hi*", read.Markdown);
        Assert.Equal("<p><em>hi</em></p>", read.Html);
        Assert.Equal("bob", read.AuthorName);
        Assert.True(read.Published);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), read.CreatedAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task UpdatePostAsync_OtherAuthor_ReturnsNullAndLeavesPost()
    {
        var store = await OpenAsync();
        var owner = (await store.CreateUserAsync("owner", "h", CancellationToken.None))!;
        var other = (await store.CreateUserAsync("other", "h", CancellationToken.None))!;
        var post = await store.CreatePostAsync(owner.Id, new PostInput("Mine", "body", false), "<p>body</p>", CancellationToken.None);

        var refused = await store.UpdatePostAsync(post.Id, other.Id, new PostInput("Stolen", "x", true), "<p>x</p>", CancellationToken.None);

        Assert.Null(refused);
        Assert.Equal("Mine", (await store.GetPostAsync(post.Id, CancellationToken.None))!.Title);
    }

    [Fact]
    public async Task UpdatePostAsync_Author_ChangesFieldsAndUpdatedAt()
    {
        var store = await OpenAsync();
        var owner = (await store.CreateUserAsync("owner", "h", CancellationToken.None))!;
        var post = await store.CreatePostAsync(owner.Id, new PostInput("Old", "old", false), "<p>old</p>", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));

        var updated = await store.UpdatePostAsync(post.Id, owner.Id, new PostInput("New", "new", true), "<p>new</p>", CancellationToken.None);

        Assert.NotNull(updated);
        Assert.Equal("New", updated!.Title);
        Assert.True(updated.Published);
        Assert.Equal(post.CreatedAt, updated.CreatedAt);
        Assert.Equal(post.CreatedAt + TimeSpan.FromMinutes(5), updated.UpdatedAt);
    }

    [Fact]
    public async Task ListPublishedAsync_DraftsAndPages_NewestPublishedFirstWithHasMore()
    {
        var store = await OpenAsync();
        var user = (await store.CreateUserAsync("writer", "h", CancellationToken.None))!;
        for (var i = 1; i <= 5; i++)
        {
            await store.CreatePostAsync(user.Id, new PostInput($"P{i}", "b", Published: i != 3), "<p>b</p>", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await store.ListPublishedAsync(1, 2, CancellationToken.None);
        var second = await store.ListPublishedAsync(2, 2, CancellationToken.None);
        var third = await store.ListPublishedAsync(3, 2, CancellationToken.None);

        Assert.Equal(["P5", "P4"], first.Posts.Select(p => p.Title));
        Assert.True(first.HasMore);
        Assert.Equal(["P2", "P1"], second.Posts.Select(p => p.Title));
        Assert.False(second.HasMore);
        Assert.Empty(third.Posts);
        Assert.Equal(5, (await store.ListByAuthorAsync(user.Id, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task InitializeAsync_NewerSchemaVersion_ThrowsNamingBothVersions()
    {
        await OpenAsync();
        using (var connection = new SqliteConnection($"Data Source={_folder.File("blog.db")};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_version (version) VALUES (99);";
            command.ExecuteNonQuery();
        }

        var e = await Assert.ThrowsAsync<BlogSchemaException>(() => OpenAsync());

        Assert.Contains("99", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{SqliteBlogStore.SchemaVersion}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitializeAsync_FileIsNotADatabase_ThrowsNamingTheFile()
    {
        await File.WriteAllTextAsync(_folder.File("blog.db"), "this is not sqlite, just some text that is long enough to be a header......................");

        var e = await Assert.ThrowsAsync<BlogSchemaException>(() => OpenAsync());

        Assert.Contains("blog.db", e.Message, StringComparison.Ordinal);
    }
}
