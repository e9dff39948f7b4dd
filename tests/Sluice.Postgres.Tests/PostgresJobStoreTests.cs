using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Postgres.Tests;

/// <summary>The PostgreSQL store against a real server: the same behaviours the SQLite store's tests pin down, plus what several processes need.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresServer server) : IAsyncLifetime
{
    private PostgresJobStore _store = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _url = await server.NewDatabaseAsync();
        _store = Open(_url);
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static PostgresJobStore Open(string url) => new(Options.Create(new PostgresStoreOptions { Url = url }), NullLogger<PostgresJobStore>.Instance);

    private static JobRecord Job(string? key = null, string owner = "o", DateTimeOffset? at = null) => new()
    {
        Id = JobIds.New(at ?? DateTimeOffset.UtcNow),
        Model = "m",
        InputJson = "{\"x\": 1, \"a\": [1, 2]}",
        Owner = owner,
        CreatedAt = at ?? DateTimeOffset.UtcNow,
        IdempotencyKey = key,
        RequestHash = key is null ? null : "h",
        TraceParent = "00-abc-def-00",
    };

    [Fact]
    public async Task CreateAsync_ThenGet_RoundTripsEveryField()
    {
        var job = Job() with { Deadline = DateTimeOffset.UtcNow.AddMinutes(1), Priority = JobPriority.High, MaxAttempts = 5, CacheKey = "ck" };
        Assert.True((await _store.CreateAsync(job, CancellationToken.None)).Created);
        var stored = await _store.GetAsync(job.Id, CancellationToken.None);
        // Input text is kept byte for byte (not normalised as jsonb would).
        Assert.Equal(job with { Deadline = DateTimeOffset.FromUnixTimeMilliseconds(job.Deadline!.Value.ToUnixTimeMilliseconds()), CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt.ToUnixTimeMilliseconds()) }, stored);
        Assert.Null(await _store.GetAsync("job_missing", CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_SameOwnerAndKeyConcurrently_OneJobWins()
    {
        var tasks = Enumerable.Range(0, 20).Select(_ => _store.CreateAsync(Job("k"), CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(1, tasks.Count(t => t.Result.Created));
        Assert.Single(tasks.Select(t => t.Result.Job.Id).Distinct());
        var otherOwner = await _store.CreateAsync(Job("k", owner: "p"), CancellationToken.None);
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
    public async Task CompleteAsync_OnlyIfQueuedAfterWorkerStarted_LosesToTheWorker()
    {
        var queued = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var running = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        Assert.True(await _store.MarkRunningAsync(running.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        var cancel = (string id) => new JobCompletion { JobId = id, Status = JobStatus.Cancelled, CompletedAt = DateTimeOffset.UtcNow, OnlyIfQueued = true };
        Assert.True(await _store.CompleteAsync(cancel(queued.Id), CancellationToken.None));
        Assert.False(await _store.CompleteAsync(cancel(running.Id), CancellationToken.None));
        Assert.False(await _store.MarkRunningAsync(queued.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await _store.GetAsync(running.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task AppendEventsAsync_Duplicates_StoredOnceInOrder()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var now = DateTimeOffset.UtcNow;
        await _store.AppendEventsAsync([new JobEvent(job.Id, 1, "queued", "{}", now), new JobEvent(job.Id, 2, "started", "{\"attempt\":1}", now)], CancellationToken.None);
        await _store.AppendEventsAsync([new JobEvent(job.Id, 2, "started", "{\"other\":true}", now), new JobEvent(job.Id, 3, "delta", "{\"text\":\"1\"}", now)], CancellationToken.None);
        var events = await _store.GetEventsAsync(job.Id, 1, CancellationToken.None);
        Assert.Equal([2L, 3L], events.Select(e => e.Id));
        Assert.Equal("{\"attempt\":1}", events[0].DataJson);
        Assert.Equal(3, await _store.GetLastEventIdAsync(job.Id, CancellationToken.None));
        Assert.Equal(0, await _store.GetLastEventIdAsync("job_none", CancellationToken.None));
    }

    [Fact]
    public async Task LoadUnfinishedAsync_ReturnsQueuedAndRunningOnly()
    {
        var queued = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var running = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        var done = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.MarkRunningAsync(running.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        await _store.CompleteAsync(new JobCompletion { JobId = done.Id, Status = JobStatus.Succeeded, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        var unfinished = await _store.LoadUnfinishedAsync(CancellationToken.None);
        Assert.Equal(new[] { queued.Id, running.Id }.Order(), unfinished.Select(j => j.Id).Order());
        Assert.Equal(1, unfinished.Single(j => j.Id == running.Id).Attempts);
    }

    [Fact]
    public async Task RequeueDeadLetterAsync_DeadLettered_ResetsAttemptsAndStream()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.MarkRunningAsync(job.Id, 3, DateTimeOffset.UtcNow, CancellationToken.None);
        await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = DateTimeOffset.UtcNow, Events = [new JobEvent(job.Id, 1, "dead_lettered", "{}", DateTimeOffset.UtcNow)] }, CancellationToken.None);
        var dead = await _store.ListAsync(new JobQuery { Owner = "o", Status = JobStatus.DeadLettered }, CancellationToken.None);
        Assert.Equal("boom", Assert.Single(dead).Error);
        var requeued = await _store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(requeued);
        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal(0, requeued.Attempts);
        Assert.Empty(await _store.GetEventsAsync(job.Id, 0, CancellationToken.None));
        Assert.Null(await _store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task ListAsync_FiltersAndPagesNewestFirst()
    {
        var t = DateTimeOffset.UtcNow;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _store.CreateAsync(Job(at: t.AddMilliseconds(i * 10)), CancellationToken.None)).Job.Id);
        }

        await _store.CreateAsync(Job(owner: "p"), CancellationToken.None);
        var page = await _store.ListAsync(new JobQuery { Owner = "o", Limit = 2 }, CancellationToken.None);
        Assert.Equal(ids.AsEnumerable().Reverse().Take(2), page.Select(j => j.Id));
        var next = await _store.ListAsync(new JobQuery { Owner = "o", Limit = 10, Before = page[^1].Id }, CancellationToken.None);
        Assert.Equal(ids.AsEnumerable().Reverse().Skip(2), next.Select(j => j.Id));
    }

    [Fact]
    public async Task GetCachedResultAsync_AfterSuccessWithCacheKey_ReturnsResult()
    {
        var job = (await _store.CreateAsync(Job(), CancellationToken.None)).Job;
        await _store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "{\"r\":1}", CacheKey = "ck", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        Assert.Equal("{\"r\":1}", await _store.GetCachedResultAsync("ck", CancellationToken.None));
        Assert.Null(await _store.GetCachedResultAsync("other", CancellationToken.None));
    }

    [Fact]
    public async Task InitializeAsync_ManyProcessesAtOnce_MigratesOnce()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => Open(_url)).ToList();
        await Task.WhenAll(stores.Select(s => s.InitializeAsync(CancellationToken.None).AsTask()));
        await using var conn = await stores[0].DataSource.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM sluice_schema", conn);
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
        foreach (var s in stores)
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreateAsync_ServerUnreachable_FailsFast()
    {
        var port = new Uri(_url).Port;
        await using var dead = Open($"postgres://sluice:sluice@127.0.0.1:1/{new Uri(_url).AbsolutePath.TrimStart('/')}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(async () => await dead.CreateAsync(Job(), CancellationToken.None));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        _ = port;
    }
}
