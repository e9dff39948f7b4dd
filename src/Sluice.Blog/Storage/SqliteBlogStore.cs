using Microsoft.Data.Sqlite;
using Sluice.Blog.Domain;

namespace Sluice.Blog.Storage;

/// <summary>
/// The blog in one SQLite file (WAL, so readers never wait for a writer). A <c>schema_version</c> table records
/// the schema; a file of a newer version is refused rather than written with the old layout.
/// </summary>
internal sealed class SqliteBlogStore : IBlogStore
{
    /// <summary>The schema this build writes; migrations below bring older files up to it.</summary>
    public const int SchemaVersion = 1;

    private const string PostColumns =
        "p.id, p.author_id, u.username, p.title, p.markdown, p.html, p.published, p.created_at, p.updated_at";

    private readonly string _path;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SqliteBlogStore(string path, TimeProvider time)
    {
        _path = Path.GetFullPath(path);
        _time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 5,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        SQLitePCL.Batteries_V2.Init();
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        await using var connection = await OpenAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
            await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26)
        {
            // SQLITE_NOTADB
            throw new BlogSchemaException($"{_path} is not a SQLite database; move it away or set Blog:DataDir to another folder", e);
        }

        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT MAX(version) FROM schema_version;";
        var found = await read.ExecuteScalarAsync(cancellationToken) is long v ? (int)v : 0;
        if (found > SchemaVersion)
        {
            throw new BlogSchemaException($"{_path} has blog schema version {found}, newer than this build's {SchemaVersion}; run a newer Sluice.Blog");
        }

        if (found < 1)
        {
            await using var tx = connection.BeginTransaction();
            await ExecuteAsync(connection, """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL COLLATE NOCASE UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL);
                CREATE TABLE posts (
                    id INTEGER PRIMARY KEY,
                    author_id INTEGER NOT NULL REFERENCES users(id),
                    title TEXT NOT NULL,
                    markdown TEXT NOT NULL,
                    html TEXT NOT NULL,
                    published INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL);
                CREATE INDEX posts_published ON posts(published, created_at DESC, id DESC);
                CREATE INDEX posts_author ON posts(author_id, created_at DESC);
                INSERT INTO schema_version (version) VALUES (1);
                """, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
    }

    public async Task<BlogUser?> CreateUserAsync(string username, string passwordHash, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO users (username, password_hash, created_at) VALUES ($u, $h, $t) RETURNING id;";
        command.Parameters.AddWithValue("$u", username);
        command.Parameters.AddWithValue("$h", passwordHash);
        command.Parameters.AddWithValue("$t", now.ToUnixTimeMilliseconds());
        try
        {
            var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            return new BlogUser(id, username, FromMs(now.ToUnixTimeMilliseconds()));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            // SQLITE_CONSTRAINT: the unique username. Checked here, not before, so two registrations racing for
            // one name cannot both succeed.
            return null;
        }
    }

    public async Task<StoredCredentials?> FindCredentialsAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, username, created_at, password_hash FROM users WHERE username = $u;";
        command.Parameters.AddWithValue("$u", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredCredentials(new BlogUser(reader.GetInt64(0), reader.GetString(1), FromMs(reader.GetInt64(2))), reader.GetString(3))
            : null;
    }

    public async Task<BlogUser?> GetUserAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, username, created_at FROM users WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BlogUser(reader.GetInt64(0), reader.GetString(1), FromMs(reader.GetInt64(2)))
            : null;
    }

    public async Task<Post> CreatePostAsync(long authorId, PostInput input, string html, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO posts (author_id, title, markdown, html, published, created_at, updated_at)
            VALUES ($a, $title, $md, $html, $pub, $t, $t) RETURNING id;
            """;
        command.Parameters.AddWithValue("$a", authorId);
        AddInput(command, input, html);
        command.Parameters.AddWithValue("$t", now);
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return (await ReadPostAsync(connection, id, cancellationToken))!;
    }

    public async Task<Post?> UpdatePostAsync(long postId, long authorId, PostInput input, string html, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The author is part of the WHERE: ownership is checked in the same statement that writes.
        command.CommandText = """
            UPDATE posts SET title = $title, markdown = $md, html = $html, published = $pub, updated_at = $t
            WHERE id = $id AND author_id = $a;
            """;
        command.Parameters.AddWithValue("$id", postId);
        command.Parameters.AddWithValue("$a", authorId);
        AddInput(command, input, html);
        command.Parameters.AddWithValue("$t", now);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 0 ? null : await ReadPostAsync(connection, postId, cancellationToken);
    }

    public async Task<Post?> GetPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadPostAsync(connection, postId, cancellationToken);
    }

    public async Task<PostPage> ListPublishedAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // One row more than the page tells whether a next page exists without a COUNT(*).
        command.CommandText = $"""
            SELECT {PostColumns} FROM posts p JOIN users u ON u.id = p.author_id
            WHERE p.published = 1 ORDER BY p.created_at DESC, p.id DESC LIMIT $limit OFFSET $offset;
            """;
        command.Parameters.AddWithValue("$limit", pageSize + 1);
        command.Parameters.AddWithValue("$offset", (long)(page - 1) * pageSize);
        var posts = await ReadPostsAsync(command, cancellationToken);
        var hasMore = posts.Count > pageSize;
        if (hasMore)
        {
            posts.RemoveAt(pageSize);
        }

        return new PostPage(posts, page, pageSize, hasMore);
    }

    public async Task<IReadOnlyList<Post>> ListByAuthorAsync(long authorId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {PostColumns} FROM posts p JOIN users u ON u.id = p.author_id
            WHERE p.author_id = $a ORDER BY p.created_at DESC, p.id DESC;
            """;
        command.Parameters.AddWithValue("$a", authorId);
        return await ReadPostsAsync(command, cancellationToken);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddInput(SqliteCommand command, PostInput input, string html)
    {
        command.Parameters.AddWithValue("$title", input.Title);
        command.Parameters.AddWithValue("$md", input.Markdown);
        command.Parameters.AddWithValue("$html", html);
        command.Parameters.AddWithValue("$pub", input.Published ? 1 : 0);
    }

    private static async Task<Post?> ReadPostAsync(SqliteConnection connection, long postId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {PostColumns} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $id;";
        command.Parameters.AddWithValue("$id", postId);
        var posts = await ReadPostsAsync(command, cancellationToken);
        return posts.Count == 0 ? null : posts[0];
    }

    private static async Task<List<Post>> ReadPostsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var posts = new List<Post>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            posts.Add(new Post(
                reader.GetInt64(0),
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetInt64(6) != 0,
                FromMs(reader.GetInt64(7)),
                FromMs(reader.GetInt64(8))));
        }

        return posts;
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
