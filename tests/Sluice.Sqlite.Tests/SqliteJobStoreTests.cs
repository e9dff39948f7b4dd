using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.Testing;

namespace Sluice.Sqlite.Tests;

/// <summary>
/// The SQLite store on a throwaway data folder: the shared <see cref="JobStoreContractTests"/>, reopened from the
/// same file for the restart case, plus the group commit that only this single-writer store has.
/// </summary>
public sealed class SqliteJobStoreTests : JobStoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-" + Guid.NewGuid().ToString("N"));

    /// <summary>A new store over the same file each time, so a reopen reads what the previous one committed.</summary>
    protected override async Task<IJobStore> OpenStoreAsync()
    {
        var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A file as the build before schema version 2 left it: the version 1 tables, user_version 1, one queued job.</summary>
    protected override async Task WritePreviousSchemaAsync(JobRecord job)
    {
        Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = SqliteSchema.V1 + """
            INSERT INTO jobs (id, model, model_version, input, priority, owner, status, created_at, deadline, attempts,
                max_attempts, traceparent, cache_key)
            VALUES ($id, $model, NULL, $input, $prio, $owner, 0, $created, NULL, 0, $max, $tp, $ck);
            PRAGMA user_version=1;
            """;
        cmd.Parameters.AddWithValue("$id", job.Id);
        cmd.Parameters.AddWithValue("$model", job.Model);
        cmd.Parameters.AddWithValue("$input", job.InputJson);
        cmd.Parameters.AddWithValue("$prio", (int)job.Priority);
        cmd.Parameters.AddWithValue("$owner", job.Owner);
        cmd.Parameters.AddWithValue("$created", job.CreatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$max", job.MaxAttempts);
        cmd.Parameters.AddWithValue("$tp", job.TraceParent);
        cmd.Parameters.AddWithValue("$ck", job.CacheKey);
        await cmd.ExecuteNonQueryAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task CreateAsync_ManyConcurrentWrites_GroupedIntoFewerCommits()
    {
        var store = (SqliteJobStore)Store;
        var before = store.CommitCount;
        var tasks = Enumerable.Range(0, 500).Select(_ => store.CreateAsync(NewJob(), CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        var commits = store.CommitCount - before;
        Assert.All(tasks, t => Assert.True(t.Result.Created));
        Assert.True(commits < 500, $"{commits} commits for 500 writes: no grouping");
        Assert.Equal(500, (await store.ListAsync(new JobQuery { Limit = 1000 }, CancellationToken.None)).Count);
    }
}
