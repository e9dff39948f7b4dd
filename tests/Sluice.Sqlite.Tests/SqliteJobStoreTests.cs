using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Sqlite.Tests;

public sealed class SqliteJobStoreTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-" + Guid.NewGuid().ToString("N"));
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = Open();
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private SqliteJobStore Open() => new(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);

    private static JobRecord Job(string? key = null, string owner = "o", DateTimeOffset? at = null) => new()
    {
        Id = JobIds.New(at ?? DateTimeOffset.UtcNow),
        Model = "m",
        InputJson = "{\"x\":1}",
        Owner = owner,
        CreatedAt = at ?? DateTimeOffset.UtcNow,
        IdempotencyKey = key,
        RequestHash = key is null ? null : "h",
    };

    [Fact]
    public async Task CreateAsync_ManyConcurrentWrites_GroupedIntoFewerCommits()
    {
        var before = _store.CommitCount;
        var tasks = Enumerable.Range(0, 500).Select(_ => _store.CreateAsync(Job(), CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        var commits = _store.CommitCount - before;
        Assert.All(tasks, t => Assert.True(t.Result.Created));
        Assert.True(commits < 500, $"{commits} commits for 500 writes: no grouping");
        Assert.Equal(500, (await _store.ListAsync(new JobQuery { Limit = 1000 }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task CreateAsync_SameOwnerAndKey_ReturnsOriginal()
    {
        var first = await _store.CreateAsync(Job("k"), CancellationToken.None);
        var second = await _store.CreateAsync(Job("k"), CancellationToken.None);
        var otherOwner = await _store.CreateAsync(Job("k", owner: "p"), CancellationToken.None);
        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Job.Id, second.Job.Id);
        Assert.True(otherOwner.Created);
    }

    [Fact]
    public async Task CreateAsync_KeyOlderThanRetention_CreatesNewJob()
    {
        var old = await _store.CreateAsync(Job("k", at: DateTimeOffset.UtcNow.AddHours(-25)), CancellationToken.None);
        var fresh = await _store.CreateAsync(Job("k"), CancellationToken.None);
        Assert.True(fresh.Created);
        Assert.NotEqual(old.Job.Id, fresh.Job.Id);
    }

    [Fact]
    public async Task CompleteAsync_Twice_SecondChangesNothing()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var events = new[] { new JobEvent(job.Id, 1, "queued", "{}", DateTimeOffset.UtcNow), new JobEvent(job.Id, 2, "completed", "{\"status\":\"succeeded\"}", DateTimeOffset.UtcNow) };
        Assert.True(await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "1", CompletedAt = DateTimeOffset.UtcNow, Events = events }, CancellationToken.None));
        Assert.False(await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Failed, Error = "late", CompletedAt = DateTimeOffset.UtcNow, Events = events }, CancellationToken.None));
        var stored = await _store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, stored!.Status);
        Assert.Equal("1", stored.ResultJson);
        Assert.Equal(2, (await _store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count);
        Assert.False(await _store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task LoadUnfinishedAsync_AfterReopen_ReturnsQueuedAndRunningOnly()
    {
        var queued = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var running = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var done = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.MarkRunningAsync(running.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        await _store.CompleteAsync(new JobCompletion { JobId = done.Id, Status = JobStatus.Succeeded, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        await _store.DisposeAsync();

        _store = Open();
        await _store.InitializeAsync(CancellationToken.None);
        var unfinished = await _store.LoadUnfinishedAsync(CancellationToken.None);
        Assert.Equal(new[] { queued.Id, running.Id }.Order(), unfinished.Select(j => j.Id).Order());
        Assert.Equal(1, unfinished.Single(j => j.Id == running.Id).Attempts);
    }

    [Fact]
    public async Task RequeueDeadLetterAsync_DeadLettered_ResetsAttempts()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.MarkRunningAsync(job.Id, 3, DateTimeOffset.UtcNow, CancellationToken.None);
        await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        var requeued = await _store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(requeued);
        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal(0, requeued.Attempts);
        Assert.Null(await _store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task GetCachedResultAsync_AfterSuccessWithCacheKey_ReturnsResult()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "{\"r\":1}", CacheKey = "ck", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        Assert.Equal("{\"r\":1}", await _store.GetCachedResultAsync("ck", CancellationToken.None));
        Assert.Null(await _store.GetCachedResultAsync("other", CancellationToken.None));
    }
}
