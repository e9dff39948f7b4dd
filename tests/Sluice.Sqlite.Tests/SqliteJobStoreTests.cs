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

    [Fact]
    public async Task InitializeAsync_DataDirInUseByAnotherStore_RefusesNamingTheFolder()
    {
        // Two servers on one data folder both recovered the same unfinished jobs and ran them twice (a second
        // attempt, a second run's events) while each queued only its own submissions.
        var second = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
        await using (second)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None).AsTask());
            Assert.Contains(Path.GetFullPath(_dir), error.Message, StringComparison.Ordinal);
            Assert.Contains("in use", error.Message, StringComparison.Ordinal);
        }

        // The first store is untouched and still writes.
        Assert.True((await Store.CreateAsync(NewJob(), CancellationToken.None)).Created);
    }

    [Fact]
    public async Task InitializeAsync_FileIsNotADatabase_ErrorNamesTheFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "sluice.db"), "this is not a database, it is a text file of some length");
            var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance);
            await using (store)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => store.InitializeAsync(CancellationToken.None).AsTask());
                Assert.Contains(Path.GetFullPath(Path.Combine(dir, "sluice.db")), error.Message, StringComparison.Ordinal);
            }

            // A failed open lets go of the folder: fixing the file and starting again works in the same process.
            File.Delete(Path.Combine(dir, "sluice.db"));
            var fixedStore = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance);
            await using (fixedStore)
            {
                await fixedStore.InitializeAsync(CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
