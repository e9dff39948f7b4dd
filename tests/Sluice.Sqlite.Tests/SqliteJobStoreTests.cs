using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
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
