using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Postgres.Tests;

/// <summary>
/// The PostgreSQL store against a real server: the shared <see cref="JobStoreContractTests"/>, plus what only this
/// store offers because several processes share it (cancel-vs-start arbitration, write-through events, concurrent
/// migration, failing fast when the server is gone).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresServer server, ITestOutputHelper output) : JobStoreContractTests
{
    private string _url = "";

    public override async Task InitializeAsync()
    {
        // A database per test: tests in the collection share one server but never each other's rows.
        _url = await server.NewDatabaseAsync();
        await base.InitializeAsync();
    }

    /// <summary>A new store (its own connection pool) on this test's database, as another process would open it.</summary>
    protected override async Task<IJobStore> OpenStoreAsync()
    {
        var store = Open(_url);
        await store.InitializeAsync(CancellationToken.None);
        // The jobs_finished index is built after the migration, in the background: a test that rewrites the schema must
        // not race that build.
        await WaitForFinishedIndexAsync(_url);
        return store;
    }

    /// <summary>The database as the build before schema version 3 left it: versions 1 and 2 applied, one queued job.</summary>
    protected override async Task WritePreviousSchemaAsync(JobRecord job)
    {
        await using var store = Open(_url);
        await using var conn = await store.DataSource.OpenConnectionAsync();
        await using (var drop = new Npgsql.NpgsqlCommand("DROP TABLE IF EXISTS jobs, events, idempotency, result_cache, rate_buckets, key_usage, secrets, sluice_schema", conn))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var schema = new Npgsql.NpgsqlCommand(PostgresSchema.Bootstrap + PostgresSchema.V1 + PostgresSchema.V2, conn))
        {
            await schema.ExecuteNonQueryAsync();
        }

        await using var cmd = new Npgsql.NpgsqlCommand("""
            INSERT INTO jobs (id, model, model_version, input, priority, owner, status, created_at, deadline, attempts,
                max_attempts, traceparent, cache_key, published_at)
            VALUES (@id, @model, NULL, @input, @prio, @owner, 0, @created, NULL, 0, @max, @tp, @ck, @created);
            INSERT INTO sluice_schema(version) VALUES (2);
            """, conn);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("model", job.Model);
        cmd.Parameters.AddWithValue("input", job.InputJson);
        cmd.Parameters.AddWithValue("prio", (int)job.Priority);
        cmd.Parameters.AddWithValue("owner", job.Owner);
        cmd.Parameters.AddWithValue("created", job.CreatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("max", job.MaxAttempts);
        cmd.Parameters.AddWithValue("tp", (object?)job.TraceParent ?? DBNull.Value);
        cmd.Parameters.AddWithValue("ck", (object?)job.CacheKey ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }

    private static PostgresJobStore Open(string url) => new(Options.Create(new PostgresStoreOptions { Url = url }), NullLogger<PostgresJobStore>.Instance);

    /// <summary>Whether the jobs_finished index exists and is valid (null: absent), read from the catalog.</summary>
    private static async Task<bool?> FinishedIndexStateAsync(Npgsql.NpgsqlConnection conn)
    {
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'jobs_finished'", conn);
        return await cmd.ExecuteScalarAsync() is bool valid ? valid : null;
    }

    /// <summary>Polls until the jobs_finished index is valid; fails after 30 s.</summary>
    private static async Task WaitForFinishedIndexAsync(string url)
    {
        await using var store = Open(url);
        await using var conn = await store.DataSource.OpenConnectionAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await FinishedIndexStateAsync(conn) != true)
        {
            Assert.True(DateTime.UtcNow < until, "the jobs_finished index was not valid within 30 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Runs SQL on its own connection.</summary>
    private static async Task ExecAsync(Npgsql.NpgsqlConnection conn, string sql)
    {
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task GetOrAddSecretAsync_FourGatewaysStartingAtOnce_AllGetOneSecret()
    {
        // Gateways without a configured stream token secret each generate one at start: the store keeps the first.
        var stores = new IJobStore[4];
        for (var i = 0; i < stores.Length; i++)
        {
            stores[i] = await OpenStoreAsync();
        }

        try
        {
            var got = await Task.WhenAll(stores.Select((s, i) => s.GetOrAddSecretAsync("stream_token", Enumerable.Repeat((byte)(i + 1), 32).ToArray(), CancellationToken.None).AsTask()));

            Assert.All(got, g => Assert.Equal(got[0], g));
            Assert.Equal(got[0], await Store.GetOrAddSecretAsync("stream_token", new byte[32], CancellationToken.None));
        }
        finally
        {
            foreach (var store in stores)
            {
                await ((IAsyncDisposable)store).DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task PurgeFinishedJobsAsync_FourGatewaysAtOnce_EveryJobDeletedOnceAndNoneFails()
    {
        // Each gateway runs the hourly maintenance on the shared database: they purge at the same moment.
        var now = DateTimeOffset.UtcNow;
        var past = now - JobRetention.Default - TimeSpan.FromMinutes(1);
        for (var i = 0; i < 60; i++)
        {
            await FinishedAsync(JobStatus.Succeeded, past.AddMilliseconds(-i), past.AddHours(-1));
        }

        var stores = new IJobStore[4];
        for (var i = 0; i < stores.Length; i++)
        {
            stores[i] = await OpenStoreAsync();
        }

        try
        {
            var counts = await Task.WhenAll(stores.Select(async s =>
            {
                var total = 0;
                int purged;
                while ((purged = await s.PurgeFinishedJobsAsync(now, 5, CancellationToken.None)) > 0)
                {
                    Assert.True(purged <= 5);
                    total += purged;
                }

                return total;
            }));

            Assert.Equal(60, counts.Sum());
            Assert.Empty(await Store.ListAsync(new JobQuery { Owner = "o", Limit = 100 }, CancellationToken.None));
        }
        finally
        {
            foreach (var store in stores)
            {
                await ((IAsyncDisposable)store).DisposeAsync();
            }
        }
    }

    // Not in the contract: only this store implements IJobEventStore (events of running jobs, written through so a
    // restarted gateway or a worker taking over a redelivered job resumes the stream); SQLite keeps finished jobs' events only.
    [Fact]
    public async Task CreateAsync_SameKeyFromFourProcessesAtOnce_OneJobWinsAndOtherOwnersKeepTheirOwn()
    {
        // Gateways sharing the database: a client's retries reach different ones, and another key's owner reuses the key.
        var stores = new IJobStore[4];
        for (var i = 0; i < stores.Length; i++)
        {
            stores[i] = await OpenStoreAsync();
        }

        try
        {
            var tasks = Enumerable.Range(0, 40).Select(i => stores[i % stores.Length].CreateAsync(NewJob("k", owner: i % 10 == 9 ? "p" : "o"), CancellationToken.None).AsTask()).ToArray();
            await Task.WhenAll(tasks);

            var mine = tasks.Where((_, i) => i % 10 != 9).Select(t => t.Result).ToArray();
            var theirs = tasks.Where((_, i) => i % 10 == 9).Select(t => t.Result).ToArray();
            Assert.Equal(1, mine.Count(r => r.Created));
            Assert.Single(mine.Select(r => r.Job.Id).Distinct());
            Assert.Equal(1, theirs.Count(r => r.Created));
            Assert.Single(theirs.Select(r => r.Job.Id).Distinct());
            Assert.NotEqual(mine[0].Job.Id, theirs[0].Job.Id);
            Assert.Equal("p", (await Store.GetAsync(theirs[0].Job.Id, CancellationToken.None))!.Owner);
        }
        finally
        {
            foreach (var store in stores)
            {
                await ((IAsyncDisposable)store).DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AppendEventsAsync_Duplicates_StoredOnceInOrder()
    {
        var events = (IJobEventStore)Store;
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var now = DateTimeOffset.UtcNow;
        await events.AppendEventsAsync([new JobEvent(job.Id, 1, "queued", "{}", now), new JobEvent(job.Id, 2, "started", "{\"attempt\":1}", now)], CancellationToken.None);
        await events.AppendEventsAsync([new JobEvent(job.Id, 2, "started", "{\"other\":true}", now), new JobEvent(job.Id, 3, "delta", "{\"text\":\"1\"}", now)], CancellationToken.None);
        var stored = await Store.GetEventsAsync(job.Id, 1, CancellationToken.None);
        Assert.Equal([2L, 3L], stored.Select(e => e.Id));
        Assert.Equal("{\"attempt\":1}", stored[0].DataJson);
        Assert.Equal(3, await events.GetLastEventIdAsync(job.Id, CancellationToken.None));
        Assert.Equal(0, await events.GetLastEventIdAsync("job_none", CancellationToken.None));
    }

    [Fact]
    public async Task CountQueuedAsync_JobsOfSeveralModelsLanesAndStates_CountsOnlyTheQueuedOnesByModelAndLane()
    {
        var now = DateTimeOffset.UtcNow;
        async Task<JobRecord> Create(string model, JobPriority priority) =>
            (await Store.CreateAsync(NewJob() with { Model = model, Priority = priority }, CancellationToken.None)).Job;

        await Create("a", JobPriority.High);
        await Create("a", JobPriority.Normal);
        await Create("a", JobPriority.Normal);
        await Create("b", JobPriority.Low);
        // Cancelled while queued, started, and finished: none of them waits.
        var cancelled = await Create("a", JobPriority.Normal);
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = cancelled.Id, Status = JobStatus.Cancelled, CompletedAt = now }, CancellationToken.None));
        var running = await Create("a", JobPriority.High);
        Assert.True(await Store.MarkRunningAsync(running.Id, 1, now, CancellationToken.None));
        var done = await Create("c", JobPriority.Normal);
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = done.Id, Status = JobStatus.Succeeded, ResultJson = "{}", CompletedAt = now }, CancellationToken.None));

        var counts = await ((IJobQueuedCountStore)Store).CountQueuedAsync(CancellationToken.None);

        Assert.Equal(2, counts.Count);
        Assert.Equal(new QueueDepth(1, 2, 0), counts["a"]);
        Assert.Equal(new QueueDepth(0, 0, 1), counts["b"]);
    }

    [Fact]
    public async Task RequeueDeadLetterAsync_JobCreatedLongAgo_NotRepublishedBySweepUntilTheRequeueClaimLapses()
    {
        var publication = (IJobPublicationStore)Store;
        var old = DateTimeOffset.UtcNow.AddHours(-1);
        var job = (await Store.CreateAsync(NewJob(at: old), CancellationToken.None)).Job;
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = old }, CancellationToken.None));
        var now = DateTimeOffset.UtcNow;

        Assert.NotNull(await Store.RequeueDeadLetterAsync(job.Id, now, CancellationToken.None));

        // The requeuing gateway is publishing it: a sweep with the usual two-minute bound must not publish it too.
        Assert.Empty(await publication.ClaimUnpublishedAsync(now - TimeSpan.FromMinutes(2), now, 10, CancellationToken.None));
        // Had that gateway died before the confirm, the claim lapses like any other and the sweep takes the job.
        var later = now + TimeSpan.FromMinutes(3);
        Assert.Equal([job.Id], (await publication.ClaimUnpublishedAsync(later - TimeSpan.FromMinutes(2), later, 10, CancellationToken.None)).Select(j => j.Id));
    }

    [Fact]
    public async Task RerouteAsync_PublishedJob_UnconfirmedUntilTheMovedCopyIsMarkedSoTheSweepTakesItIfTheMoverDies()
    {
        var publication = (IJobPublicationStore)Store;
        var old = DateTimeOffset.UtcNow.AddHours(-1);
        var job = (await Store.CreateAsync(NewJob(at: old), CancellationToken.None)).Job;
        await publication.MarkPublishedAsync([job.Id], old, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;

        // The worker moving it publishes the fallback's copy after this write: no sweep may publish it meanwhile.
        Assert.True(await Store.RerouteAsync(job.Id, "fallback", null, job.InputJson, 0, false, now, null, CancellationToken.None));
        Assert.Empty(await publication.ClaimUnpublishedAsync(now - TimeSpan.FromMinutes(2), now, 10, CancellationToken.None));

        // Had it died before publishing (its old copy is dropped on redelivery: the model changed), the claim lapses
        // and the sweep publishes the job on the model its record names.
        var later = now + TimeSpan.FromMinutes(3);
        var claimed = Assert.Single(await publication.ClaimUnpublishedAsync(later - TimeSpan.FromMinutes(2), later, 10, CancellationToken.None));
        Assert.Equal("fallback", claimed.Model);

        // Once the moved copy is confirmed, the job is no sweep's business.
        var moved = (await Store.CreateAsync(NewJob(at: old), CancellationToken.None)).Job;
        await publication.MarkPublishedAsync([moved.Id], old, CancellationToken.None);
        Assert.True(await Store.RerouteAsync(moved.Id, "fallback", null, moved.InputJson, 0, false, now, null, CancellationToken.None));
        await publication.MarkPublishedAsync([moved.Id], now, CancellationToken.None);
        Assert.DoesNotContain(moved.Id, (await publication.ClaimUnpublishedAsync(later, later, 10, CancellationToken.None)).Select(j => j.Id));
    }

    [Fact]
    public async Task AppendEventsAsync_AfterStoredTerminalEvent_RefusedAndReturned()
    {
        var events = (IJobEventStore)Store;
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var now = DateTimeOffset.UtcNow;
        await events.AppendEventsAsync([new JobEvent(job.Id, 1, "queued", "{}", now), new JobEvent(job.Id, 2, "started", "{}", now)], CancellationToken.None);
        Assert.True(await Store.CompleteAsync(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.Succeeded,
            ResultJson = "{}",
            CompletedAt = now,
            Events = [new JobEvent(job.Id, 3, "completed", "{\"status\":\"succeeded\"}", now)],
        }, CancellationToken.None));

        // A run that lost its broker connection keeps streaming: nothing it sends may follow the terminal event.
        var late = new JobEvent(job.Id, 4, "delta", "{}", now);
        var refused = await events.AppendEventsAsync([new JobEvent(job.Id, 3, "completed", "{\"status\":\"succeeded\"}", now), late], CancellationToken.None);
        Assert.Equal([late], refused);
        Assert.Equal([1L, 2L, 3L], (await Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Select(e => e.Id));
    }

    [Fact]
    public async Task AppendEventsAsync_EventOfAJobPurgedAfterItsRetention_RefusedAndNoRowLeft()
    {
        var events = (IJobEventStore)Store;
        var now = DateTimeOffset.UtcNow;
        var past = now - JobRetention.Default - TimeSpan.FromMinutes(1);
        var id = await FinishedAsync(JobStatus.Succeeded, past, past.AddHours(-1));
        Assert.Equal(1, await Store.PurgeFinishedJobsAsync(now, JobRetention.BatchSize, CancellationToken.None));

        // A worker's event, or the event hub relaying one, arriving after the purge: with neither the job nor its
        // terminal event left to refuse it, it used to be stored as an orphan row retention never deletes.
        JobEvent[] late = [new JobEvent(id, 3, "delta", "{}", now), new JobEvent(id, 4, "progress", "{}", now) { Attempt = 1 }];
        Assert.Equal(late, await events.AppendEventsAsync(late, CancellationToken.None));

        Assert.Empty(await Store.GetEventsAsync(id, 0, CancellationToken.None));
        await using var conn = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await using var orphans = new Npgsql.NpgsqlCommand("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = e.job_id)", conn);
        Assert.Equal(0L, await orphans.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AppendEventsAsync_RunEventUnderTheIdOfASettledTerminalEvent_RefusedAndReturned()
    {
        var events = (IJobEventStore)Store;
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var now = DateTimeOffset.UtcNow;
        await Store.MarkRunningAsync(job.Id, 1, now, CancellationToken.None);
        await events.AppendEventsAsync([new JobEvent(job.Id, 1, "started", "{}", now) { Attempt = 1 }], CancellationToken.None);

        // Another process settles the job (its terminal event is 2), then the run's own event 2 arrives: it must be
        // refused, not silently skipped and then published, where a gateway would take it for event 2 and drop the end.
        Assert.True(await Store.CompleteAsync(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.Cancelled,
            CompletedAt = now,
            Events = [new JobEvent(job.Id, 2, "cancelled", "{}", now)],
            EventsFollowStored = true,
        }, CancellationToken.None));
        var retrying = new JobEvent(job.Id, 2, "retrying", "{}", now) { Attempt = 1 };
        Assert.Equal([retrying], await events.AppendEventsAsync([retrying], CancellationToken.None));

        // The terminal event itself, sent again, is a harmless duplicate (published, not refused).
        Assert.Empty(await events.AppendEventsAsync([new JobEvent(job.Id, 2, "cancelled", "{}", now)], CancellationToken.None));
        Assert.Equal(["started", "cancelled"], (await Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Select(e => e.Type));
    }

    [Fact]
    public async Task AppendEventsAsync_EventOfARunTheJobLeftThroughARequeue_RefusedWhileTheNewRunsAreStored()
    {
        var events = (IJobEventStore)Store;
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var first = new JobRun(1, DateTimeOffset.UtcNow.AddSeconds(-10));
        Assert.True(await Store.MarkRunningAsync(job.Id, first.Attempt, first.StartedAt, CancellationToken.None));
        Assert.Empty(await events.AppendEventsAsync([RunEvent(1, "started", first)], CancellationToken.None));

        // A sweep dead-letters the job behind its run's back; it is requeued, and its next run starts as attempt 1 again.
        Assert.True(await Store.CompleteAsync(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.DeadLettered,
            Error = "lease lost",
            CompletedAt = DateTimeOffset.UtcNow,
            Events = [new JobEvent(job.Id, 2, "dead_lettered", "{}", DateTimeOffset.UtcNow)],
        }, CancellationToken.None));
        Assert.NotNull(await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Empty(await events.AppendEventsAsync([new JobEvent(job.Id, 3, "queued", "{\"requeued\":true}", DateTimeOffset.UtcNow)], CancellationToken.None));
        var second = new JobRun(1, DateTimeOffset.UtcNow);
        Assert.True(await Store.MarkRunningAsync(job.Id, second.Attempt, second.StartedAt, CancellationToken.None));

        // The first run goes on reporting: the same attempt number as the job's run, but not that run.
        var stale = RunEvent(4, "delta", first);
        Assert.Equal([stale], await events.AppendEventsAsync([stale], CancellationToken.None));
        Assert.Empty(await events.AppendEventsAsync([RunEvent(4, "started", second), RunEvent(5, "delta", second)], CancellationToken.None));
        var stored = await Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        Assert.Equal(["queued", "started", "delta"], stored.Select(e => e.Type));
        Assert.Equal("{\"run\":2}", stored[1].DataJson);

        JobEvent RunEvent(long id, string type, JobRun run) =>
            new(job.Id, id, type, run == first ? "{\"run\":1}" : "{\"run\":2}", DateTimeOffset.UtcNow) { Attempt = run.Attempt, RunStartedAt = run.StartedAt };
    }

    [Fact]
    public async Task AppendEventsAsync_EventOfSupersededAttempt_Refused()
    {
        var events = (IJobEventStore)Store;
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var now = DateTimeOffset.UtcNow;
        Assert.True(await Store.MarkRunningAsync(job.Id, 1, now, CancellationToken.None));
        Assert.Empty(await events.AppendEventsAsync([new JobEvent(job.Id, 1, "started", "{}", now) { Attempt = 1 }], CancellationToken.None));
        // The job was redelivered and attempt 2 started: the first run's events are refused, the second's and unattributed ones kept.
        Assert.True(await Store.MarkRunningAsync(job.Id, 2, now, CancellationToken.None));
        var stale = new JobEvent(job.Id, 2, "delta", "{\"run\":1}", now) { Attempt = 1 };
        Assert.Equal([stale], await events.AppendEventsAsync([stale], CancellationToken.None));
        Assert.Empty(await events.AppendEventsAsync([new JobEvent(job.Id, 2, "started", "{\"run\":2}", now) { Attempt = 2 }, new JobEvent(job.Id, 3, "delta", "{}", now)], CancellationToken.None));
        var stored = await Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.Id));
        Assert.Equal("{\"run\":2}", stored[1].DataJson);
    }

    [Fact]
    public async Task InitializeAsync_ManyProcessesAtOnce_MigratesOnce()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => Open(_url)).ToList();
        await Task.WhenAll(stores.Select(s => s.InitializeAsync(CancellationToken.None).AsTask()));
        await using var conn = await stores[0].DataSource.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM sluice_schema", conn);
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
        await WaitForFinishedIndexAsync(_url);
        foreach (var s in stores)
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task InitializeAsync_UpgradeFromVersion6WithJobs_IndexBuiltConcurrentlyWhileStartAndWritesGoOn()
    {
        // A live upgrade: the database of the build before version 7, with jobs, and a long read open elsewhere (a
        // report, a backup), whose snapshot a concurrent build waits for: it holds the build in progress for the test.
        await using var admin = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await ExecAsync(admin, "DROP TABLE IF EXISTS jobs, events, idempotency, result_cache, rate_buckets, key_usage, secrets, sluice_schema");
        await ExecAsync(admin, PostgresSchema.Bootstrap + PostgresSchema.V1 + PostgresSchema.V2 + PostgresSchema.V3 + PostgresSchema.V4
            + PostgresSchema.V5 + PostgresSchema.V6 + "INSERT INTO sluice_schema(version) VALUES (6);");
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 20; i++)
        {
            await FinishedAsync(JobStatus.Succeeded, now.AddMinutes(-i), now.AddHours(-1));
        }

        await using var reader = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await using var read = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs", reader, read))
        {
            Assert.Equal(20L, await count.ExecuteScalarAsync());
        }

        // The process starts (it must not wait for the build: it would not listen meanwhile) ...
        await using var upgraded = Open(_url);
        await upgraded.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await using (var version = new Npgsql.NpgsqlCommand("SELECT max(version) FROM sluice_schema", admin))
        {
            Assert.Equal(PostgresSchema.Version, await version.ExecuteScalarAsync());
        }

        // ... and builds the index concurrently, after the migration: find the build in progress, not yet valid.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        await using (var building = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'CREATE INDEX CONCURRENTLY%jobs_finished%' AND wait_event_type = 'Lock'", admin))
        {
            while ((long)(await building.ExecuteScalarAsync())! == 0)
            {
                Assert.True(DateTime.UtcNow < until, "no concurrent build of jobs_finished was found in progress");
                await Task.Delay(20);
            }
        }

        Assert.False(await FinishedIndexStateAsync(admin));

        // Meanwhile submits, starts and completions go on: a build in the migration's transaction held a share lock,
        // queuing every insert, update and delete on jobs until it ended.
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            var submitted = (await upgraded.CreateAsync(NewJob(), cts.Token)).Job.Id;
            Assert.True(await upgraded.MarkRunningAsync(submitted, 1, now, cts.Token));
            Assert.True(await upgraded.CompleteAsync(new JobCompletion { JobId = submitted, Status = JobStatus.Succeeded, ResultJson = "{}", CompletedAt = now }, cts.Token));
        }

        await read.CommitAsync();
        await WaitForFinishedIndexAsync(_url);
        Assert.Equal(21, await upgraded.PurgeFinishedJobsAsync(now + JobRetention.Default + TimeSpan.FromHours(1), JobRetention.BatchSize, CancellationToken.None));
    }

    [Fact]
    public async Task CheckWritableAsync_DatabaseMadeReadOnlyThenWritableAgain_StoreUnavailableWhileLookupsStillAnswerThenPasses()
    {
        // default_transaction_read_only, as on a standby a failover left the URL pointing at: the store answers lookups
        // (all readiness used to check) while it refuses every submit.
        var store = (PostgresJobStore)Store;
        var database = new Uri(_url).AbsolutePath.TrimStart('/');
        await store.CheckWritableAsync(CancellationToken.None);
        await using (var admin = await store.DataSource.OpenConnectionAsync())
        {
            await ExecAsync(admin, $"ALTER DATABASE {database} SET default_transaction_read_only = on");
        }

        // A session keeps the setting it started with: new ones, as after a failover, get it.
        store.DataSource.Clear();

        var ex = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CheckWritableAsync(CancellationToken.None));
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetAsync("job_none", CancellationToken.None));
        // Every write refused so is the store being unavailable (503), not a PostgresException (500 off the submit path).
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.MarkRunningAsync("job_none", 1, DateTimeOffset.UtcNow, CancellationToken.None));

        await using (var admin = await store.DataSource.OpenConnectionAsync())
        {
            await ExecAsync(admin, $"BEGIN READ WRITE; ALTER DATABASE {database} RESET default_transaction_read_only; COMMIT");
        }

        store.DataSource.Clear();
        await store.CheckWritableAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CheckWritableAsync_ServerStoppedThenStartedAgain_StoreUnavailableFastThenPasses()
    {
        var store = (PostgresJobStore)Store;
        await store.CheckWritableAsync(CancellationToken.None);
        await server.StopPostgresAsync();
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CheckWritableAsync(CancellationToken.None));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        }
        finally
        {
            await server.StartPostgresAsync();
        }

        // Back: the next check passes without a new store (the pool drops the connections the stop broke).
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await store.CheckWritableAsync(CancellationToken.None);
                break;
            }
            catch (StoreUnavailableException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task CheckWritableAsync_CallerGivesUpOnASlowButLiveServer_RequestsStillGoToTheServer()
    {
        // A check the server does not answer makes requests fail fast (a frozen server); one the caller gave up on while
        // the server lived (it answered the cancel) must not, or a slow moment under load would turn away every request.
        var store = (PostgresJobStore)Store;
        var job = (await store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await using var blocker = await store.DataSource.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var lockSchema = new Npgsql.NpgsqlCommand("LOCK TABLE sluice_schema IN ACCESS EXCLUSIVE MODE", blocker, tx))
        {
            await lockSchema.ExecuteNonQueryAsync();
        }

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.CheckWritableAsync(soon.Token));
        }

        Assert.Equal(job.Id, (await store.GetAsync(job.Id, CancellationToken.None))?.Id);
        await tx.RollbackAsync();
        await store.CheckWritableAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CheckWritableAsync_SubmitsRefusedForWantOfRoom_FailsUntilASubmitWritesOrTheHoldLapses()
    {
        // PostgreSQL tells of a full disk only the writes that need a new page (53100, "could not extend file"); the
        // check's update matches no row and writes nothing (a one-row HOT update passes too, see docs/distributed.md), so
        // readiness stayed 200 while every submit failed. A full disk needs a mount of its own (proved by hand on a small
        // tmpfs); here a trigger refuses big inserts with the same SQLSTATE and message, as that disk did.
        var time = new ManualTimeProvider();
        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { Url = _url }), NullLogger<PostgresJobStore>.Instance, time);
        await store.InitializeAsync(CancellationToken.None);
        await using (var admin = await store.DataSource.OpenConnectionAsync())
        {
            await ExecAsync(admin, """
                CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF length(NEW.input) > 10000 THEN
                        RAISE EXCEPTION 'could not extend file "base/16384/16385": No space left on device' USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER test_disk_full BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION test_disk_full();
                """);
        }

        var big = "\"" + new string('x', 64 * 1024) + "\"";
        var kept = (await store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await store.CheckWritableAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CreateAsync(NewJob() with { InputJson = big }, CancellationToken.None));
        Assert.Equal("53100", Assert.IsType<Npgsql.PostgresException>(refused.InnerException).SqlState);

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CheckWritableAsync(CancellationToken.None));
        Assert.Contains("53100: could not extend file", error.Message, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(20));
        // An update in place fits (no new page) but is no submit: still failing. Lookups answer as ever.
        Assert.True(await store.MarkRunningAsync(kept.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CheckWritableAsync(CancellationToken.None));
        Assert.NotNull(await store.GetAsync(kept.Id, CancellationToken.None));

        // A submit that fits ends it.
        Assert.True((await store.CreateAsync(NewJob(), CancellationToken.None)).Created);
        await store.CheckWritableAsync(CancellationToken.None);

        // Refused again and no submit since (a process out of rotation gets none): the hold lapses, the check decides.
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CreateAsync(NewJob() with { InputJson = big }, CancellationToken.None));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CheckWritableAsync(CancellationToken.None));
        time.Advance(NoRoomHold.HoldFor);
        await store.CheckWritableAsync(CancellationToken.None);
    }

    [Fact]
    public async Task InitializeAsync_UpgradeWhileAWriteOnJobsIsOpen_MigratesWithoutWaitingForItAndRefreshesTheFunction()
    {
        // A rolling upgrade: a process of the previous build has a write on jobs open (a long completion, a purge batch).
        // Version 1's CREATE INDEX IF NOT EXISTS ran again at every upgrade and took a share lock on jobs before finding
        // the index there: the migration waited for that write, and every later write of every process waited behind it.
        await using var admin = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await ExecAsync(admin, $"UPDATE sluice_schema SET version = {PostgresSchema.Version - 1}; DROP FUNCTION sluice_take_tokens");
        await using var writer = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await using var write = await writer.BeginTransactionAsync();
        await using (var update = new Npgsql.NpgsqlCommand("UPDATE jobs SET attempts = attempts WHERE id = 'job_elsewhere'", writer, write))
        {
            await update.ExecuteNonQueryAsync();
        }

        await using var upgraded = Open(_url);
        await upgraded.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(8));

        await using (var version = new Npgsql.NpgsqlCommand("SELECT max(version) FROM sluice_schema", admin))
        {
            Assert.Equal(PostgresSchema.Version, await version.ExecuteScalarAsync());
        }

        // The token-bucket function is still replaced at each migration: its body changed once without a version.
        await using (var function = new Npgsql.NpgsqlCommand("SELECT to_regproc('sluice_take_tokens') IS NOT NULL", admin))
        {
            Assert.Equal(true, await function.ExecuteScalarAsync());
        }

        await write.RollbackAsync();
    }

    [Fact]
    public async Task InitializeAsync_SchemaVersionNewerThanThisBuild_RefusesNamingBothVersionsAndWritesNothing()
    {
        // A database a newer Sluice migrated (a rollback of the deploy, an old worker left running): this build started on
        // it as if it were its own and wrote rows in the meanings it knows.
        var newer = PostgresSchema.Version + 2;
        await using var admin = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await ExecAsync(admin, $"UPDATE sluice_schema SET version = {newer}; DROP INDEX jobs_finished");
        await using var old = Open(_url);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await old.InitializeAsync(CancellationToken.None));

        Assert.Contains($"schema version {newer}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"this build knows {PostgresSchema.Version}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade this Sluice", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        await using var version = new Npgsql.NpgsqlCommand("SELECT array_agg(version) FROM sluice_schema", admin);
        Assert.Equal(new[] { newer }, (int[])(await version.ExecuteScalarAsync())!);
        // Nor did it start building version 7's index on the newer schema.
        await old.FinishedIndexBuild;
        Assert.Null(await FinishedIndexStateAsync(admin));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public async Task InitializeAsync_InvalidFinishedIndexLeftByAnInterruptedBuild_DroppedAndBuiltAgain(int version)
    {
        // A concurrent build that fails (here: a unique index over two equal completion times) leaves its index
        // INVALID, as a build interrupted by a crash or a cancel does: never used, yet "IF NOT EXISTS" skips it.
        var past = DateTimeOffset.UtcNow - JobRetention.Default - TimeSpan.FromHours(1);
        await FinishedAsync(JobStatus.Succeeded, past, past.AddHours(-1));
        await FinishedAsync(JobStatus.Failed, past, past.AddHours(-1));
        await using var admin = await ((PostgresJobStore)Store).DataSource.OpenConnectionAsync();
        await ExecAsync(admin, "DROP INDEX jobs_finished");
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecAsync(admin, "CREATE UNIQUE INDEX CONCURRENTLY jobs_finished ON jobs(completed_at) WHERE status BETWEEN 2 AND 5"));
        await ExecAsync(admin, $"UPDATE sluice_schema SET version = {version}");
        Assert.False(await FinishedIndexStateAsync(admin));

        await using var restarted = Open(_url);
        await restarted.InitializeAsync(CancellationToken.None);

        await WaitForFinishedIndexAsync(_url);
        await using var def = new Npgsql.NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = 'jobs_finished'", admin);
        Assert.DoesNotContain("UNIQUE", (string)(await def.ExecuteScalarAsync())!, StringComparison.Ordinal);
        Assert.Equal(2, await restarted.PurgeFinishedJobsAsync(DateTimeOffset.UtcNow, JobRetention.BatchSize, CancellationToken.None));
    }

    [Theory]
    [InlineData("role")]
    [InlineData("database")]
    public async Task InitializeAsync_UnknownRoleOrDatabase_FailsAtOnceNamingTheSetting(string wrong)
    {
        var u = new Uri(_url);
        var url = wrong == "role" ? $"postgres://nobody:x@{u.Authority}{u.AbsolutePath}" : $"postgres://sluice:sluice@{u.Authority}/no_such_database";
        await using var store = Open(url);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.InitializeAsync(CancellationToken.None));

        Assert.Contains(wrong == "role" ? "role \"nobody\"" : "no_such_database", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Store:Url", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task DropDatabaseAsync_DropWaitsLongerThanItsWait_GivesUpSayingWhyWithoutThrowing()
    {
        // Another session holds a lock on the database itself (an uncommitted COMMENT ON DATABASE): the drop waits for it,
        // as a drop stuck behind a slow checkpoint on a loaded machine waits.
        var name = $"held_{Guid.NewGuid():N}";
        await using var admin = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={server.PostgresPort};Username=postgres;Database=postgres;Pooling=false");
        await admin.OpenAsync();
        await using (var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var hold = await admin.BeginTransactionAsync();
        await using (var comment = new Npgsql.NpgsqlCommand($"COMMENT ON DATABASE {name} IS 'held'", admin, hold))
        {
            await comment.ExecuteNonQueryAsync();
        }

        var left = await server.DropDatabaseAsync(name, TimeSpan.FromSeconds(2));

        Assert.NotNull(left);
        Assert.Contains(name, left, StringComparison.Ordinal);
        await hold.RollbackAsync();
        Assert.Null(await server.DropDatabaseAsync(name));
    }

    [Fact]
    public async Task InitializeAsync_RoleMayNotCreateTables_FailsAtOnceNamingTheSetting()
    {
        // A database the sluice role does not own, whose public schema only its owner may create in (the default since
        // PostgreSQL 15; revoked explicitly so that an older server gives the same answer).
        var name = $"foreign_{Guid.NewGuid():N}";
        await AdminAsync("postgres", $"CREATE DATABASE {name}");
        try
        {
            await AdminAsync(name, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            await using var store = Open($"postgres://sluice:sluice@127.0.0.1:{server.PostgresPort}/{name}");

            var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.InitializeAsync(CancellationToken.None));

            Assert.Contains("permission denied", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"PostgreSQL at postgres://sluice@127.0.0.1:{server.PostgresPort}/{name}", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Sluice:Store:Url", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', ex.Message);
        }
        finally
        {
            // Cleanup only: a drop slow on a loaded machine is reported here, never this test's failure.
            if (await server.DropDatabaseAsync(name) is { } left)
            {
                output.WriteLine(left);
            }
        }

        async Task AdminAsync(string database, string sql)
        {
            await using var admin = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={server.PostgresPort};Username=postgres;Database={database};Pooling=false");
            await admin.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand(sql, admin);
            await cmd.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task DisposeAsync_ContainerDisposesTheStoreOncePerService_SecondDisposeIsANoOp()
    {
        // The container disposes the store as PostgresJobStore and again as the IJobStore its factory returned.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [PostgresStoreOptions.SectionName + ":Url"] = _url }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddSluicePostgresStore();
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<PostgresJobStore>();
        await store.InitializeAsync(CancellationToken.None);
        Assert.Same(store, provider.GetRequiredService<IJobStore>());

        await provider.DisposeAsync();
        await store.DisposeAsync();
    }

    [Fact]
    public async Task InitializeAsync_ServerUnreachableAfterStartTimeout_FailsNamingTheStoreAndTheSetting()
    {
        // Port 1 on loopback refuses at once; the wait is shortened from 60 s so the test sees its end.
        var options = new PostgresStoreOptions { Url = "postgres://sluice:secret@127.0.0.1:1/sluice", StartTimeout = TimeSpan.FromSeconds(1) };
        await using var store = new PostgresJobStore(Options.Create(options), NullLogger<PostgresJobStore>.Instance);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.InitializeAsync(CancellationToken.None));

        Assert.Contains("PostgreSQL at postgres://sluice@127.0.0.1:1/sluice is not reachable", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Store:Url", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task CreateAsync_ServerUnreachable_FailsFastWithStoreUnavailable()
    {
        // Port 1 on loopback refuses at once: after its few short transient retries the store must give the caller the
        // error within seconds, so a request is not held while the database is down; the server maps the type to 503.
        await using var dead = Open($"postgres://sluice:sluice@127.0.0.1:1/{new Uri(_url).AbsolutePath.TrimStart('/')}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await dead.CreateAsync(NewJob(), CancellationToken.None));
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(ex.InnerException);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await dead.GetAsync("job_x", CancellationToken.None));
    }
}
