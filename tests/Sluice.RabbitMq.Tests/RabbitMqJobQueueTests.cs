using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.RabbitMq.Tests;

/// <summary>The RabbitMQ transport against a real broker: what the in-process queue guarantees, across processes.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqJobQueueTests(RabbitMqServers servers) : IAsyncLifetime
{
    private readonly string _prefix = "q" + Guid.NewGuid().ToString("N")[..10];
    private string _store = "";

    public async Task InitializeAsync() => _store = await servers.NewDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<Node> NodeAsync(string role, params (string, string)[] extra) => Node.StartAsync(servers.QueueUrl, _store, _prefix, role, extra);

    private static QueuedJob Job(JobPriority priority = JobPriority.Normal, int i = 0, DateTimeOffset? deadline = null, DateTimeOffset? acceptedAt = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new()
        {
            Id = JobIds.New(now) + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Model = "sleep-batch",
            Priority = priority,
            InputJson = $"{{\"i\": {i}, \"s\": \"é\"}}",
            EnqueuedAt = now,
            AcceptedAt = acceptedAt ?? now,
            MaxAttempts = 4,
            Owner = "key1",
            TraceParent = "00-aa-bb-01",
            Deadline = deadline ?? now.AddMinutes(5),
        };
    }

    /// <summary>The next job <paramref name="reader"/> hands out, waiting for the broker to deliver it (at most <see cref="Brokers.DeliveryWait"/>).</summary>
    private static async Task<QueuedJob> ReadOneAsync(IJobQueueReader reader)
    {
        using var cts = new CancellationTokenSource(Brokers.DeliveryWait);
        while (true)
        {
            await reader.WaitToReadAsync(cts.Token);
            if (reader.TryRead(out var job))
            {
                return job;
            }
        }
    }

    [Fact]
    public async Task DeclareAsync_Model_CreatesQuorumLanesDelayTiersAndDeadLetterQueue()
    {
        await using var node = await NodeAsync("gateway");
        var factory = new ConnectionFactory { Uri = RabbitMqUrl.ToAmqp(servers.QueueUrl) };
        await using var conn = await factory.CreateConnectionAsync();
        foreach (var q in new[] { "sleep-batch.high", "sleep-batch.normal", "sleep-batch.low", "dead", "delay.100", "delay.60000" })
        {
            await using var ch = await conn.CreateChannelAsync();
            await ch.QueueDeclarePassiveAsync($"{_prefix}.{q}");
        }

        // Declaring a lane with other arguments is refused: it already exists as a quorum queue with a DLX.
        await using var check = await conn.CreateChannelAsync();
        await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() =>
            check.QueueDeclareAsync($"{_prefix}.sleep-batch.normal", durable: true, exclusive: false, autoDelete: false));
    }

    [Fact]
    public async Task EnqueueAsync_OnGateway_WorkerReadsSameJobAndAckRemovesIt()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        var job = Job();
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        var reader = worker.Queue.GetReader("sleep-batch");
        var got = await ReadOneAsync(reader);
        Assert.Equal(job.Id, got.Id);
        Assert.Equal(job.InputJson, got.InputJson);
        Assert.Equal(job.Owner, got.Owner);
        Assert.Equal(job.TraceParent, got.TraceParent);
        Assert.Equal(job.MaxAttempts, got.MaxAttempts);
        Assert.Equal(job.Deadline!.Value.ToUnixTimeMilliseconds(), got.Deadline!.Value.ToUnixTimeMilliseconds());
        Assert.Null(got.Parsed);
        await reader.AcknowledgeAsync(got, CancellationToken.None);
        await UntilAsync(async () => await ReadyAsync("sleep-batch") == 0, () => "the lane still holds the job");
        Assert.Equal(0, reader.Count);
    }

    [Fact]
    public async Task ShouldRun_RequeuedCopyArrivesWhileTheStaleRunStillRunsOnTheSameWorker_StaleOutcomeRefusedAndTheNewRunFinishes()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        var job = Job();
        var record = new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, MaxAttempts = job.MaxAttempts };
        Assert.True((await gateway.Store.CreateAsync(record, CancellationToken.None)).Created);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        var lifecycle = worker.Lifecycle;

        // The worker starts the job; the run then hangs (a long step), so its lease is taken for lost.
        var (reader, stale, staleLive) = await StartRunAsync(worker);

        // A sweep dead-letters it and a client requeues it: the new copy is delivered to the same worker and starts there.
        await SweepAsync(gateway, job.Id);
        var requeued = await gateway.Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(requeued);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(QueuedJob.FromRecord(requeued!).With(0, DateTimeOffset.UtcNow), CancellationToken.None));
        var fresh = await ReadOneAsync(reader);
        Assert.True(lifecycle.ShouldRun(fresh, reader, out var freshLive));
        Assert.Equal(1, await lifecycle.StartAsync([fresh], [freshLive], 1, reader, CancellationToken.None));

        // Each run has its own control block: the stale run's outcome is checked against its own run, and refused.
        await lifecycle.SucceedAsync(stale, reader, "{\"run\":\"stale\"}", 1, 5, run: staleLive);
        var during = await gateway.Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Running, during!.Status);
        Assert.NotSame(staleLive, freshLive);
        Assert.True(worker.Live.TryGet(job.Id, out var current));
        Assert.Same(freshLive, current);
        Assert.False(freshLive.IsFinished);

        // The new run's own outcome is the one stored.
        await lifecycle.SucceedAsync(fresh, reader, "{\"run\":\"new\"}", 1, 5, run: freshLive);
        var done = await gateway.Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, done!.Status);
        Assert.Equal("{\"run\":\"new\"}", done.ResultJson?.Replace(" ", "", StringComparison.Ordinal));
        Assert.False(worker.Live.TryGet(job.Id, out _));
    }

    [Fact]
    public async Task Progress_StaleRunReportsWhileTheRequeuedCopyRunsOnTheSameWorker_NoneOfItsEventsReachesTheNewRunsStream()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        var job = await AcceptAsync(gateway);
        var lifecycle = worker.Lifecycle;
        var (reader, stale, staleLive) = await StartRunAsync(worker);

        // A sweep dead-letters it and a client requeues it through the gateway, whose subscriber follows the new run.
        await SweepAsync(gateway, job.Id);
        Assert.NotNull(await gateway.Jobs.RequeueAsync(job.Id, CancellationToken.None));
        var queuedId = gateway.Hub.NextId(job.Id) - 1;
        Assert.True(gateway.Hub.TrySubscribe(job.Id, queuedId - 1, out var sub));
        using (sub)
        {
            // The stale run reports once the new copy is delivered here, and again while both run: by job id, its events
            // used to go into the stream the new copy's delivery started (stamped with its run).
            var fresh = await ReadOneAsync(reader);
            lifecycle.Progress(staleLive, "stale", 0.25, null);
            Assert.True(lifecycle.ShouldRun(fresh, reader, out var freshLive));
            Assert.Equal(1, await lifecycle.StartAsync([fresh], [freshLive], 1, reader, CancellationToken.None));
            lifecycle.Delta(staleLive, "stale", 1);
            lifecycle.Progress(freshLive, "new", 0.5, null);
            await lifecycle.SucceedAsync(stale, reader, "{\"run\":\"stale\"}", 1, 5, run: staleLive);
            await lifecycle.SucceedAsync(fresh, reader, "{\"run\":\"new\"}", 1, 5, run: freshLive);

            var seen = new List<JobEvent>();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (seen.Count == 0 || !JobEventTypes.IsTerminal(seen[^1].Type))
            {
                seen.Add(await sub.Reader.ReadAsync(bound.Token));
            }

            Assert.Equal(["queued", "started", "progress", "completed"], seen.Select(e => e.Type));
            Assert.Contains("\"new\"", seen[2].DataJson, StringComparison.Ordinal);
            Assert.Equal(2, staleLive.DroppedEvents);
            Assert.Equal(Enumerable.Range(0, 4).Select(i => queuedId + i), seen.Select(e => e.Id));
            var stored = await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
            Assert.DoesNotContain(stored, e => e.DataJson.Contains("stale", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task GetReader_BacklogOnBroker_BuffersOnlyPrefetchAndServesHighPriorityFirst()
    {
        await using var gateway = await NodeAsync("gateway");
        for (var i = 0; i < 40; i++)
        {
            await gateway.Queue.EnqueueAsync(Job(JobPriority.Low, i), CancellationToken.None);
        }

        var high = Job(JobPriority.High, 99);
        await gateway.Queue.EnqueueAsync(high, CancellationToken.None);
        // Capacity 4 × multiplier 2: each lane consumer holds at most 8 unacknowledged deliveries.
        await using var worker = await NodeAsync("worker", ("Sluice:Models:sleep-batch:MaxBatchSize", "4"));
        var reader = (RabbitMqJobReader)worker.Queue.GetReader("sleep-batch");
        Assert.Equal(8, reader.Prefetch);
        await UntilAsync(() => reader.Count >= 9, () => $"the reader holds {reader.Count} jobs");

        // Nothing beyond the prefetch arrives, however long one waits.
        await Task.Delay(300);
        Assert.Equal(9, reader.Count);
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(high.Id, first.Id);
        await UntilAsync(async () => await ReadyAsync("sleep-batch", "low") == 32, () => "the low lane does not hold the 32 jobs beyond the prefetch");
    }

    [Fact]
    public async Task GetReader_ModelRunsOneJobAtATimeAndItsWorkerIsBusy_NextJobGoesToTheIdleWorker()
    {
        // A model of batch size 1 (the 'train' model: long, CPU-heavy jobs) has no batch to fill while one runs: a second
        // delivery held by a busy worker would wait behind its running job while another worker sits idle.
        await using var gateway = await NodeAsync("gateway");
        await using var busy = await NodeAsync("worker", ("Sluice:Models:sleep-batch:MaxBatchSize", "1"));
        var busyReader = (RabbitMqJobReader)busy.Queue.GetReader("sleep-batch");
        Assert.Equal(1, busyReader.Prefetch);
        var running = Job(i: 1);
        await gateway.Queue.EnqueueAsync(running, CancellationToken.None);
        Assert.Equal(running.Id, (await ReadOneAsync(busyReader)).Id);

        // The busy worker holds the running job unacknowledged; the next one stays on the broker for the idle worker.
        var next = Job(i: 2);
        await gateway.Queue.EnqueueAsync(next, CancellationToken.None);
        await using var idle = await NodeAsync("worker", ("Sluice:Models:sleep-batch:MaxBatchSize", "1"));
        var taken = await ReadOneAsync(idle.Queue.GetReader("sleep-batch"));

        Assert.Equal(next.Id, taken.Id);
        Assert.Equal(0, busyReader.Count);
    }

    [Fact]
    public async Task GetDepth_LanesHoldTheMessageOfAJobCancelledWhileQueued_CountsOnlyTheJobsStillQueuedInEachLane()
    {
        await using var gateway = await NodeAsync("gateway", ("Sluice:Queue:DepthPollInterval", "00:00:00.100"));
        await AcceptAsync(gateway, Job(JobPriority.High, 1));
        await AcceptAsync(gateway, Job(JobPriority.Normal, 2));
        var cancelled = await AcceptAsync(gateway, Job(JobPriority.Normal, 3));
        await AcceptAsync(gateway, Job(JobPriority.Low, 4));
        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(1, 2, 1), () => $"the gateway reports {gateway.Queue.GetDepth("sleep-batch")}");

        // Cancelled through the store while queued: its message stays in the normal lane until a worker takes it.
        Assert.True(await gateway.Store.CompleteAsync(new JobCompletion { JobId = cancelled.Id, Status = JobStatus.Cancelled, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));

        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(1, 1, 1), () => $"the gateway reports {gateway.Queue.GetDepth("sleep-batch")}");
        Assert.Equal(4u, await ReadyAsync("sleep-batch"));
    }

    [Fact]
    public async Task GetDepth_StoreCountHangs_DepthsFollowTheBrokerAndTheOutageIsLoggedOnce()
    {
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        // A long command timeout: the store's count hangs for as long as the test holds the table, not 10 s.
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", s => s.AddSingleton<ILoggerProvider>(logs),
            ("Sluice:Queue:DepthPollInterval", "00:00:00.100"), ("Sluice:Store:CommandTimeoutSeconds", "300"));
        var jobs = new QueuedJob[4];
        for (var i = 0; i < jobs.Length; i++)
        {
            jobs[i] = Job(i: i);
            await gateway.Store.CreateAsync(new JobRecord { Id = jobs[i].Id, Model = jobs[i].Model, InputJson = jobs[i].InputJson, Owner = jobs[i].Owner, CreatedAt = jobs[i].EnqueuedAt }, CancellationToken.None);
        }

        // The store hangs: an open transaction holds the jobs table, so the count (and nothing the broker does) waits.
        await using var db = new Npgsql.NpgsqlConnection(ConnectionString(_store));
        await db.OpenAsync();
        var hold = await db.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE", db, hold))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(jobs[i], CancellationToken.None));
        }

        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(0, 3, 0), () => $"the gateway reports {gateway.Queue.GetDepth("sleep-batch")} while the store hangs");
        // Still following the broker later in the outage, not just once.
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(jobs[3], CancellationToken.None));
        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(0, 4, 0), () => $"the gateway reports {gateway.Queue.GetDepth("sleep-batch")} while the store hangs");

        await hold.CommitAsync();
        await UntilAsync(() => Count("counts queued jobs again") == 1, () => "the store's return was not logged: " + string.Join(" | ", logs.Entries));
        // Back: a job cancelled while queued no longer counts.
        Assert.True(await gateway.Store.CompleteAsync(new JobCompletion { JobId = jobs[0].Id, Status = JobStatus.Cancelled, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));
        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(0, 3, 0), () => $"the gateway reports {gateway.Queue.GetDepth("sleep-batch")} once the store is back");

        Assert.Equal(1, Count("Could not count the store's queued jobs"));
        Assert.Equal(0, Count("Transient PostgreSQL error"));

        int Count(string text) => logs.Entries.Count(e => e.Message.Contains(text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetryLaterAsync_WithBackoff_ComesBackThroughDelayQueueWithOneMoreAttempt()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        await gateway.Queue.EnqueueAsync(Job(), CancellationToken.None);
        var reader = worker.Queue.GetReader("sleep-batch");
        var got = await ReadOneAsync(reader);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await reader.RetryLaterAsync(got, TimeSpan.FromMilliseconds(600), CancellationToken.None);
        var again = await ReadOneAsync(reader);
        Assert.Equal(got.Id, again.Id);
        Assert.Equal(got.Attempts + 1, again.Attempts);
        // The 500 ms tier: never earlier than that, and not held much longer.
        Assert.InRange(sw.ElapsedMilliseconds, 450, 5000);
        await reader.AcknowledgeAsync(again, CancellationToken.None);
    }

    [Fact]
    public async Task EnqueueAsync_JobAcceptedBeforeItWasQueued_WorkerReadsTheAcceptanceTimeAndItsRetryKeepsIt()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        // Accepted ten minutes before this enqueue (a job recovered or moved since): its duration runs from then on
        // whichever worker settles it, through every retry.
        var job = Job(acceptedAt: DateTimeOffset.UtcNow.AddMinutes(-10));
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        var reader = worker.Queue.GetReader("sleep-batch");
        var got = await ReadOneAsync(reader);
        Assert.Equal(job.AcceptedAt.ToUnixTimeMilliseconds(), got.AcceptedAt.ToUnixTimeMilliseconds());
        Assert.Equal(job.EnqueuedAt.ToUnixTimeMilliseconds(), got.EnqueuedAt.ToUnixTimeMilliseconds());

        await reader.RetryLaterAsync(got, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        var again = await ReadOneAsync(reader);
        Assert.Equal(got.Attempts + 1, again.Attempts);
        Assert.Equal(job.AcceptedAt.ToUnixTimeMilliseconds(), again.AcceptedAt.ToUnixTimeMilliseconds());
        await reader.AcknowledgeAsync(again, CancellationToken.None);
    }

    [Fact]
    public async Task OnReceived_MessageOfAnOlderSluiceWithoutAcceptanceTime_AcceptedAtIsItsEnqueueTime()
    {
        await using var worker = await NodeAsync("worker");
        var reader = worker.Queue.GetReader("sleep-batch");
        var id = JobIds.New(DateTimeOffset.UtcNow);
        var enqueuedMs = DateTimeOffset.UtcNow.AddMinutes(-3).ToUnixTimeMilliseconds();
        // A message as a Sluice without accepted_at published it, still in the lane when this one took over.
        var body = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"id":"{{id}}","model":"sleep-batch","priority":1,"input":{},"enqueued_at":{{enqueuedMs}},"attempts":0,"max_attempts":3,"owner":"key1","last_event_id":1}""");
        var factory = new ConnectionFactory { Uri = RabbitMqUrl.ToAmqp(servers.QueueUrl) };
        await using (var conn = await factory.CreateConnectionAsync())
        await using (var ch = await conn.CreateChannelAsync())
        {
            var props = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = id, Type = "sluice.job" };
            await ch.BasicPublishAsync("", $"{_prefix}.sleep-batch.normal", mandatory: true, props, body);
        }

        var got = await ReadOneAsync(reader);
        Assert.Equal(id, got.Id);
        Assert.Equal(enqueuedMs, got.AcceptedAt.ToUnixTimeMilliseconds());
        Assert.Equal(enqueuedMs, got.EnqueuedAt.ToUnixTimeMilliseconds());
        await reader.AcknowledgeAsync(got, CancellationToken.None);
    }

    [Fact]
    public async Task RetryLaterAsync_AnotherCopyOfTheJobWasTakenOnTheSameWorkerMeanwhile_ThatCopysControlBlockStaysTracked()
    {
        // A retry with no backoff (a batch shrunk for a deadline, Sluice:Retry:BaseDelay 0) may be delivered back to this
        // worker and taken before the retrying side stops tracking the job: that side must not untrack the new copy.
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        var job = await AcceptAsync(gateway);
        var reader = worker.Queue.GetReader("sleep-batch");
        var first = await ReadOneAsync(reader);
        Assert.True(worker.Lifecycle.ShouldRun(first, reader, out _));

        // The other copy (here a second publication of the same job) is taken while the first is still tracked.
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        var second = await ReadOneAsync(reader);
        Assert.True(worker.Lifecycle.ShouldRun(second, reader, out var secondLive));

        await reader.RetryLaterAsync(JobLifecycle.Uncounted(first), TimeSpan.Zero, CancellationToken.None);

        // Still tracked, so a DELETE on this node reaches the copy it will run (and its deadline stays armed).
        Assert.True(worker.Live.TryGet(job.Id, out var current));
        Assert.Same(secondLive, current);
        Assert.Same(second, current.Queued);
        await reader.AcknowledgeAsync(second, CancellationToken.None);
        await reader.AcknowledgeAsync(await ReadOneAsync(reader), CancellationToken.None);
    }

    /// <summary>The worker reads the next sleep-batch job and starts its run (the run the tests then leave hanging).</summary>
    private static async Task<(IJobQueueReader Reader, QueuedJob Job, LiveJob Live)> StartRunAsync(Node worker)
    {
        var reader = worker.Queue.GetReader("sleep-batch");
        var job = await ReadOneAsync(reader);
        Assert.True(worker.Lifecycle.ShouldRun(job, reader, out var live));
        Assert.Equal(1, await worker.Lifecycle.StartAsync([job], [live], 1, reader, CancellationToken.None));
        return (reader, job, live);
    }

    /// <summary>What a gateway's sweep does to a running job whose lease it takes for lost.</summary>
    private static async Task SweepAsync(Node gateway, string jobId) =>
        Assert.True(await gateway.Store.CompleteAsync(new Sluice.Core.Storage.JobCompletion { JobId = jobId, Status = JobStatus.DeadLettered, Error = "lease lost (test sweep)", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));

    /// <summary>A job accepted on <paramref name="node"/> and taken by its worker (through a reader recording its settlement), as a batcher takes it.</summary>
    private static async Task<(QueuedJob Job, SettlementRecordingReader Reader, QueuedJob Taken, LiveJob Live)> AcceptAndTakeAsync(Node node)
    {
        var job = await AcceptAsync(node);
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);
        Assert.True(node.Lifecycle.ShouldRun(taken, reader, out var live));
        return (job, reader, taken, live);
    }

    private static async Task<QueuedJob> AcceptAsync(Node gateway, QueuedJob? job = null)
    {
        job ??= Job();
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Priority = job.Priority, Owner = job.Owner, CreatedAt = job.EnqueuedAt, MaxAttempts = job.MaxAttempts }, CancellationToken.None);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        return job;
    }

    [Fact]
    public async Task Reconciler_BrokerDeadLettersJobAtDeliveryLimit_JobDeadLetteredInStoreWithTerminalEvent()
    {
        await using var gateway = await NodeAsync("gateway", ("Sluice:Queue:DeliveryLimit", "1"));
        var job = await AcceptAsync(gateway);

        // Handed back twice (a nack, a dropped connection, a graceful stop): the quorum queue dead-letters it by itself.
        var factory = new ConnectionFactory { Uri = RabbitMqUrl.ToAmqp(servers.QueueUrl) };
        await using var conn = await factory.CreateConnectionAsync();
        await using var ch = await conn.CreateChannelAsync();
        for (var i = 0; i < 10 && await ch.BasicGetAsync($"{_prefix}.sleep-batch.normal", autoAck: false) is { } got; i++)
        {
            await ch.BasicNackAsync(got.DeliveryTag, false, requeue: true);
        }

        var until = DateTime.UtcNow.AddSeconds(30);
        JobRecord? record;
        while ((record = await gateway.Store.GetAsync(job.Id, CancellationToken.None))!.Status != JobStatus.DeadLettered && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Equal(JobStatus.DeadLettered, record.Status);
        Assert.Contains("delivery_limit", record.Error, StringComparison.Ordinal);
        var events = await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        Assert.Equal(JobEventTypes.DeadLettered, events[^1].Type);
    }

    [Fact]
    public async Task OnReceived_RedeliveredWhileStoreDown_HeldUntilStoreIsBackNotDeadLettered()
    {
        (string, string) limit = ("Sluice:Queue:DeliveryLimit", "2");
        await using var gateway = await NodeAsync("gateway", limit);
        var job = await AcceptAsync(gateway);
        var first = await NodeAsync("worker", limit);
        await ReadOneAsync(first.Queue.GetReader("sleep-batch"));
        var logs = new RecordingLoggerProvider();
        await using var second = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker", s => s.AddSingleton<ILoggerProvider>(logs), limit);
        var reader = second.Queue.GetReader("sleep-batch");
        await servers.StopPostgresAsync();
        try
        {
            // The first worker goes away holding the job: the second gets it redelivered and cannot ask the store. It
            // must hold the delivery through its failed checks: one handed back would be the third delivery, past the
            // limit, and the broker would dead-letter the job (no further check would be logged, and the read below fails).
            await first.DisposeAsync();
            await UntilAsync(
                () => logs.Warnings.Count(w => w.Contains($"Could not check redelivered job {job.Id}", StringComparison.Ordinal)) >= 3,
                () => "the redelivered job was not held through three failed checks: " + string.Join(" | ", logs.Warnings));
        }
        finally
        {
            await servers.StartPostgresAsync();
        }

        var got = await ReadOneAsync(reader);
        Assert.Equal(job.Id, got.Id);
        await reader.AcknowledgeAsync(got, CancellationToken.None);
    }

    [Fact]
    public async Task EnqueueAsync_DeadlinePassesWithNoWorker_GatewayExpiresQueuedJobOnTime()
    {
        await using var gateway = await NodeAsync("gateway");
        var job = Job(deadline: DateTimeOffset.UtcNow.AddSeconds(1));
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, Deadline = job.Deadline }, CancellationToken.None);
        gateway.Hub.Append(job.Id, JobEventTypes.Queued, "{}");
        Assert.True(gateway.Hub.TrySubscribe(job.Id, 0, out var sub));
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));

        // Nobody consumes the lane: the gateway that accepted the job ends it at its deadline, stream included. (The
        // wait is generous for a loaded machine; when it happened is checked on the stored completion time.)
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<JobEvent>();
        await foreach (var e in sub!.Reader.ReadAllAsync(cts.Token))
        {
            events.Add(e);
        }

        Assert.Equal([JobEventTypes.Queued, JobEventTypes.Expired], events.Select(e => e.Type));
        var record = (await gateway.Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.Equal(JobStatus.Expired, record.Status);
        Assert.True(record.CompletedAt >= job.Deadline!.Value.AddMilliseconds(-50), $"expired at {record.CompletedAt:O}, before its deadline {job.Deadline:O}");
        Assert.True(record.CompletedAt < job.Deadline!.Value.AddSeconds(10), $"expired at {record.CompletedAt:O}, long after its deadline {job.Deadline:O}");
        Assert.Equal([1L, 2L], (await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Select(e => e.Id));
    }

    [Fact]
    public async Task EnqueueAsync_DeadlinePassesWhileJobWaitsOutRetryBackoff_ExpiredSayingItRanBefore()
    {
        await using var gateway = await NodeAsync("gateway");
        var job = Job(deadline: DateTimeOffset.UtcNow.AddSeconds(3));
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, Deadline = job.Deadline }, CancellationToken.None);
        // Its first run failed and a worker scheduled the next one after a backoff longer than the deadline: queued
        // again in the store with one attempt counted, as RetryLaterAsync leaves it. Stored before the deadline timer is
        // armed, so a slow machine cannot let the timer read the job before its attempt is counted.
        await gateway.Store.ScheduleRetryAsync(job.Id, 1, "boom", null, null, DateTimeOffset.UtcNow.AddMinutes(1), null, CancellationToken.None);
        gateway.Hub.Append(job.Id, JobEventTypes.Queued, "{}");
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));

        JobRecord? record = null;
        await UntilAsync(async () => (record = await gateway.Store.GetAsync(job.Id, CancellationToken.None))!.Status == JobStatus.Expired,
            () => $"not expired: {record?.Status}");

        Assert.Equal("deadline passed before the job could run again (after 1 attempt)", record!.Error);
    }

    [Fact]
    public async Task EnqueueAsync_JobWithDistantDeadlineEnds_DeadlineTimerReleasedBeforeTheDeadline()
    {
        await using var gateway = await NodeAsync("gateway");
        gateway.Queue.DeadlineCheckStep = TimeSpan.FromMilliseconds(200);
        var job = Job(deadline: DateTimeOffset.UtcNow.AddHours(1));
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, Deadline = job.Deadline }, CancellationToken.None);
        gateway.Hub.Append(job.Id, JobEventTypes.Queued, "{}");
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        Assert.Equal(1, gateway.Queue.TimedDeadlines);

        // Still queued after several checks: the timer keeps watching.
        await Task.Delay(700);
        Assert.Equal(1, gateway.Queue.TimedDeadlines);

        // Once the job has ended, the next check lets go of it, an hour before its deadline.
        gateway.Hub.Append(job.Id, JobEventTypes.Cancelled, "{}");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (gateway.Queue.TimedDeadlines > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, gateway.Queue.TimedDeadlines);
    }

    [Fact]
    public async Task RearmDeadlinesAsync_AcceptingGatewayStoppedBeforeTheDeadline_AnotherGatewayExpiresTheJobOnTime()
    {
        // The gateway that takes over was running all along: a takeover must not wait for a gateway to start.
        await using var second = await NodeAsync("gateway");
        QueuedJob job, later;
        await using (var first = await NodeAsync("gateway"))
        {
            // Due once both gateways are up (their start can take seconds on a loaded machine), and far enough ahead
            // that the first is gone before its own timer fires: that one is not the takeover under test.
            job = Job(deadline: DateTimeOffset.UtcNow.AddSeconds(8));
            later = Job(i: 1, deadline: DateTimeOffset.UtcNow.AddMinutes(10));
            foreach (var j in new[] { job, later })
            {
                await first.Store.CreateAsync(new JobRecord { Id = j.Id, Model = j.Model, InputJson = j.InputJson, Owner = j.Owner, CreatedAt = j.EnqueuedAt, Deadline = j.Deadline }, CancellationToken.None);
                first.Hub.Append(j.Id, JobEventTypes.Queued, "{}");
                Assert.Equal(EnqueueResult.Accepted, await first.Queue.EnqueueAsync(j, CancellationToken.None));
            }

            // The queued events reach the store in the background; the gateway stops only once they are there.
            var stored = DateTime.UtcNow.AddSeconds(30);
            while ((await first.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count == 0 && DateTime.UtcNow < stored)
            {
                await Task.Delay(20);
            }
        }

        // The gateway that armed the deadlines is gone, and no worker runs. A sweep round looking a minute ahead takes
        // over the job due in seconds (not the one due in ten minutes), and only once however often it runs.
        Assert.Equal(1, await second.Queue.RearmDeadlinesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));
        Assert.Equal(0, await second.Queue.RearmDeadlinesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));

        var until = DateTime.UtcNow.AddSeconds(60);
        JobRecord? record;
        while ((record = await second.Store.GetAsync(job.Id, CancellationToken.None))!.Status != JobStatus.Expired && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Equal(JobStatus.Expired, record.Status);
        Assert.True(record.CompletedAt >= job.Deadline!.Value.AddMilliseconds(-50), $"expired at {record.CompletedAt:O}, before its deadline {job.Deadline:O}");
        Assert.Equal([JobEventTypes.Queued, JobEventTypes.Expired], (await second.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Select(e => e.Type));
        Assert.Equal(JobStatus.Queued, (await second.Store.GetAsync(later.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task DisposeAsync_RightAfterConfirmedPublishes_StoresEveryPublishedMarkerFirst()
    {
        // A gateway's graceful stop right after a burst of submits: the broker confirmed every job, so none may be left
        // unmarked for the sweep to publish again (and a worker to run twice) after RepublishAfter.
        var gateway = await NodeAsync("gateway");
        await using var db = new Npgsql.NpgsqlConnection(ConnectionString(_store));
        await db.OpenAsync();
        var ids = new List<string>();
        Npgsql.NpgsqlTransaction? slowStore = null;
        for (var i = 0; i < 50; i++)
        {
            var job = Job(i: i);
            await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
            if (i == 49)
            {
                // The store is slow at the moment of the stop: the last job's row is locked, so its marker waits.
                slowStore = await db.BeginTransactionAsync();
                await using var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM jobs WHERE id = @id FOR UPDATE", db, slowStore);
                lockRow.Parameters.AddWithValue("id", job.Id);
                await lockRow.ExecuteScalarAsync();
            }

            Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
            ids.Add(job.Id);
        }

        var stop = gateway.DisposeAsync().AsTask();
        // A sleep on purpose: it shows the stop does NOT end while a marker cannot be stored (there is no event to wait
        // for in its place), and gives a stop that does not wait for the markers the time to end and fail here.
        await Task.WhenAny(stop, Task.Delay(1000));
        Assert.False(stop.IsCompleted, "the stop ended while a published marker was still waiting for the store");
        await slowStore!.CommitAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        await using var unmarked = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND (published_at IS NULL OR published_at <= 0)", db);
        unmarked.Parameters.AddWithValue("ids", ids.ToArray());
        Assert.Equal(0L, await unmarked.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RepublishUnconfirmedAsync_JobJournaledButNeverPublished_PublishedAgainOnceAndConfirmedJobsLeftAlone()
    {
        await using var gateway = await NodeAsync("gateway", ("Sluice:Queue:RepublishAfter", "00:00:02"));
        var old = DateTimeOffset.UtcNow.AddSeconds(-10);
        // One job confirmed by the broker, one journaled by a gateway that died before publishing it.
        var confirmed = Job(i: 1);
        await gateway.Store.CreateAsync(new JobRecord { Id = confirmed.Id, Model = confirmed.Model, InputJson = confirmed.InputJson, Owner = confirmed.Owner, CreatedAt = old }, CancellationToken.None);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(confirmed, CancellationToken.None));
        // The orphan came through a fallback-capable route: its republished copy must still be allowed to move.
        var orphan = Job(i: 2);
        await gateway.Store.CreateAsync(new JobRecord { Id = orphan.Id, Model = orphan.Model, InputJson = orphan.InputJson, Owner = orphan.Owner, CreatedAt = old, MaxAttempts = 4, FallbackAllowed = true }, CancellationToken.None);

        // The broker's confirm of the first reaches the store in the background: seen there, not assumed after a sleep.
        await using (var db = new Npgsql.NpgsqlConnection(ConnectionString(_store)))
        {
            await db.OpenAsync();
            await using var published = new Npgsql.NpgsqlCommand("SELECT published_at > 0 FROM jobs WHERE id = @id", db);
            published.Parameters.AddWithValue("id", confirmed.Id);
            await UntilAsync(async () => await published.ExecuteScalarAsync() is true, () => "the confirmed job was never marked published");
        }

        // Two gateways sweep at once: the store's claim gives the orphan to one of them.
        var sweeps = await Task.WhenAll(gateway.Queue.RepublishUnconfirmedAsync(CancellationToken.None), gateway.Queue.RepublishUnconfirmedAsync(CancellationToken.None));
        Assert.Equal(1, sweeps.Sum());
        Assert.Equal(0, await gateway.Queue.RepublishUnconfirmedAsync(CancellationToken.None));

        await using var worker = await NodeAsync("worker");
        var reader = worker.Queue.GetReader("sleep-batch");
        var read = new List<QueuedJob> { await ReadOneAsync(reader), await ReadOneAsync(reader) };
        Assert.Equal(new[] { confirmed.Id, orphan.Id }.Order(), read.Select(j => j.Id).Order());
        Assert.True(read.Single(j => j.Id == orphan.Id).FallbackAllowed);
        Assert.False(read.Single(j => j.Id == confirmed.Id).FallbackAllowed);
        await Task.Delay(500);
        Assert.Equal(0, reader.Count);
    }

    [Fact]
    public async Task OnReceived_RepublishedCopyOfJobAWorkerStarted_DroppedWithoutRunning()
    {
        await using var gateway = await NodeAsync("gateway");
        var job = Job();
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt }, CancellationToken.None);
        // The original reached the broker after all and a worker runs it; the sweep's copy must not run a second time.
        Assert.True(await gateway.Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        await gateway.Queue.PublishAsync(job, 1, TimeSpan.Zero, CancellationToken.None, recovered: true);
        await using var worker = await NodeAsync("worker");
        var reader = worker.Queue.GetReader("sleep-batch");
        await UntilAsync(async () => await ReadyAsync("sleep-batch") == 0, () => "the copy was never delivered");

        // Delivered: give a wrong worker time to take it in.
        await Task.Delay(2000);
        Assert.Equal(0, reader.Count);
        Assert.Equal(0u, await ReadyAsync("sleep-batch"));
    }

    [Fact]
    public async Task DeadLetterAsync_Delivery_LandsInDeadQueueWithXDeath()
    {
        await using var gateway = await NodeAsync("gateway");
        await using var worker = await NodeAsync("worker");
        var job = Job();
        await gateway.Queue.EnqueueAsync(job, CancellationToken.None);
        var reader = worker.Queue.GetReader("sleep-batch");
        var got = await ReadOneAsync(reader);
        await reader.DeadLetterAsync(got, "boom", CancellationToken.None);

        var factory = new ConnectionFactory { Uri = RabbitMqUrl.ToAmqp(servers.QueueUrl) };
        await using var conn = await factory.CreateConnectionAsync();
        await using var ch = await conn.CreateChannelAsync();
        BasicGetResult? dead = null;
        for (var i = 0; i < 50 && dead is null; i++)
        {
            dead = await ch.BasicGetAsync($"{_prefix}.dead", autoAck: true);
            await Task.Delay(dead is null ? 100 : 0);
        }

        Assert.NotNull(dead);
        Assert.Equal(job.Id, dead.BasicProperties.MessageId);
        Assert.True(dead.BasicProperties.Headers!.ContainsKey("x-death"));
    }

    [Fact]
    public async Task Delivery_WorkerDiesWithoutAck_RedeliveredToAnotherWorker()
    {
        await using var gateway = await NodeAsync("gateway");
        var job = Job();
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt }, CancellationToken.None);
        await gateway.Queue.EnqueueAsync(job, CancellationToken.None);
        var first = await NodeAsync("worker");
        var taken = await ReadOneAsync(first.Queue.GetReader("sleep-batch"));
        Assert.Equal(job.Id, taken.Id);
        // The worker goes away holding the delivery (its connection closes): the broker gives it to the next.
        await first.DisposeAsync();
        var second = await NodeAsync("worker");
        var again = await ReadOneAsync(second.Queue.GetReader("sleep-batch"));
        Assert.Equal(job.Id, again.Id);

        // A redelivery of a job whose outcome is already stored is dropped, not run again.
        await gateway.Store.CompleteAsync(new Core.Storage.JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "1", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        await second.DisposeAsync();
        await using var third = await NodeAsync("worker");
        var thirdReader = third.Queue.GetReader("sleep-batch");
        await UntilAsync(async () => await ReadyAsync("sleep-batch") == 0, () => "the redelivery never left the lane");

        // Delivered: give a wrong worker time to take it in.
        await Task.Delay(1500);
        Assert.Equal(0, thirdReader.Count);
        Assert.Equal(0u, await ReadyAsync("sleep-batch"));
    }

    [Fact]
    public async Task OnReceived_RedeliveredCopyOfJobThatMovedToItsFallback_DroppedAndOnlyTheMovedCopyRuns()
    {
        await using var gateway = await NodeAsync("gateway");
        await gateway.Queue.DeclareAsync("count", 10_000, CancellationToken.None);
        var job = Job();
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt }, CancellationToken.None);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));

        // A worker moves the job (store, then the fallback's copy) and dies before letting go of the original.
        var mover = await NodeAsync("worker");
        var taken = await ReadOneAsync(mover.Queue.GetReader("sleep-batch"));
        Assert.True(await mover.Store.RerouteAsync(job.Id, "count", null, "{\"n\": 2}", 0, false, DateTimeOffset.UtcNow, null, CancellationToken.None));
        Assert.Equal(EnqueueResult.Accepted, await mover.Queue.EnqueueAsync(Moved(taken, "count"), CancellationToken.None));
        await mover.DisposeAsync();

        await using var worker = await NodeAsync("worker");
        var original = worker.Queue.GetReader("sleep-batch");
        var fallback = worker.Queue.GetReader("count");
        var moved = await ReadOneAsync(fallback);
        Assert.Equal((job.Id, "count"), (moved.Id, moved.Model));
        await UntilAsync(async () => await ReadyAsync("sleep-batch") == 0, () => "the old copy was never redelivered");

        // Delivered: give a wrong worker time to take it in.
        await Task.Delay(1500);
        Assert.Equal(0, original.Count);
    }

    [Fact]
    public async Task RepublishUnconfirmedAsync_MoverDiedBeforePublishingTheMovedCopy_PublishedOnTheFallback()
    {
        await using var gateway = await NodeAsync("gateway", ("Sluice:Queue:RepublishAfter", "00:00:02"));
        await gateway.Queue.DeclareAsync("count", 10_000, CancellationToken.None);
        var job = Job();
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, MaxAttempts = 4, FallbackAllowed = true }, CancellationToken.None);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        await using (var db = new Npgsql.NpgsqlConnection(ConnectionString(_store)))
        {
            await db.OpenAsync();
            await using var published = new Npgsql.NpgsqlCommand("SELECT published_at > 0 FROM jobs WHERE id = @id", db);
            published.Parameters.AddWithValue("id", job.Id);
            await UntilAsync(async () => await published.ExecuteScalarAsync() is true, () => "the job was never marked published");
        }

        // The worker moving the job dies after the store write, before the fallback's copy reached the broker.
        var mover = await NodeAsync("worker");
        await ReadOneAsync(mover.Queue.GetReader("sleep-batch"));
        Assert.True(await mover.Store.RerouteAsync(job.Id, "count", null, "{\"n\": 2}", 0, false, DateTimeOffset.UtcNow, null, CancellationToken.None));
        await mover.DisposeAsync();

        // Its old copy is dropped (the job's model changed); the sweep, once the mover's claim lapses, publishes the job
        // as its record says, and the fallback's worker takes it.
        await using var worker = await NodeAsync("worker");
        var original = worker.Queue.GetReader("sleep-batch");
        var fallback = worker.Queue.GetReader("count");
        await UntilAsync(async () => await ReadyAsync("sleep-batch") == 0, () => "the old copy was never redelivered");
        await UntilAsync(async () => await gateway.Queue.RepublishUnconfirmedAsync(CancellationToken.None) == 1, () => "the moved job was never republished");
        var moved = await ReadOneAsync(fallback);
        Assert.Equal((job.Id, "count", "{\"n\": 2}"), (moved.Id, moved.Model, moved.InputJson));
        // It moved once: the copy the sweep built from the store may not move again.
        Assert.False(moved.FallbackAllowed);
        Assert.Equal(0, original.Count);
        Assert.Equal(0, await gateway.Queue.RepublishUnconfirmedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MoveAsync_DeleteLandsWhileTheMoveToAFallbackIsWritten_CancelWinsAndNoCopyReachesTheFallbacksQueue()
    {
        await using var gateway = await NodeAsync("gateway");
        await gateway.Queue.DeclareAsync("count", 10_000, CancellationToken.None);
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker",
            services => services.Replace(ServiceDescriptor.Singleton<IJobRerouter, ToCountRerouter>()));
        var job = await AcceptMovableAsync(gateway);
        var (reader, taken, live) = await StartRunAsync(worker);

        // The job's row is locked by another transaction (no key update, so the run's events are still stored): the move's
        // store write waits on it.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);

        // Its upstream asks for a long wait: the run moves the job to its fallback, and the move's write is held.
        var move = worker.Lifecycle.FailAsync(taken, reader, live, "upstream busy", retryable: true, 1, 0, retryAfter: TimeSpan.FromHours(1));
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET model%", 1);

        // A DELETE through the gateway lands there: the job reads running, so the gateway sends the cancel to the workers.
        var delete = gateway.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilAsync(() => live.Cancellation.IsCancellationRequested || delete.IsCompleted, () => "the cancel never reached the mover's run");
        await rowLock.ReleaseAsync();
        await move.WaitAsync(TimeSpan.FromSeconds(30));

        // The cancel wins: stored cancelled (not queued on the fallback with no copy in any queue), the DELETE says so,
        // and no copy was published to the fallback's queue.
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);
        Assert.Equal(JobStatus.Cancelled, (await gateway.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
        Assert.Equal(0u, await FallbackReadyAsync());
    }

    [Fact]
    public async Task MoveAsync_DeleteOnTheMoversOwnNodeStoresTheCancelWhileTheMoveIsWritten_MoverLetsGoOfTheOriginalDelivery()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here.
        await using var node = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "all",
            services => services.Replace(ServiceDescriptor.Singleton<IJobRerouter, ToCountRerouter>()));
        await node.Queue.DeclareAsync("count", 10_000, CancellationToken.None);
        var job = await AcceptMovableAsync(node);
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);
        Assert.True(node.Lifecycle.ShouldRun(taken, reader, out var live));

        // About to run, its backend unusable: the job moves to its fallback, the move's store write held by a row lock.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        Assert.True(node.Lifecycle.TryReroute(taken, reader, live));
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET model%", 1);

        // A DELETE on this node finds the job queued here, cancels its control block and stores the cancel itself (its
        // write queued behind the move's). Its own statement is awaited, not any second write: the enqueue's late
        // publication mark waits on the lock too, and counted as the DELETE's it let the move go before the cancel.
        var delete = node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        Assert.True(live.Cancellation.IsCancellationRequested);
        await rowLock.ReleaseAsync();

        // The move is stored first, then the cancel; the mover sees the cancel and publishes no copy to the fallback.
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
        Assert.Equal(0u, await FallbackReadyAsync());

        // The mover lets go of the original delivery (it used to keep it unacknowledged, a prefetch slot lost, until its channel closed).
        Assert.Equal("ack", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task ShouldRun_DeleteOnTheSameNodeClaimsTheJobBetweenTheTakeAndTheWorkersClaim_WorkerLetsGoOfTheDelivery()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        var time = new HookedTimeProvider();
        await using var node = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "all",
            services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        var job = await AcceptAsync(node);
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);

        // The DELETE's store write is held by a lock on the job's row: it is still storing the cancel when the worker claims.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        using var cancelled = new ManualResetEventSlim();
        using var claim = new ManualResetEventSlim();
        LiveJob? live = null;
        Task<JobRecord?>? delete = null;
        CancellationTokenRegistration hold = default;

        // The worker judges the job it took. Hooks: at its deadline check (its second read of the clock, after Track
        // registered the job and found it unfinished) a DELETE lands, held once it has cancelled the job and before it
        // claims the outcome; the worker then finds the cancel and, at the stale check that precedes its claim, lets the
        // DELETE claim first.
        var judged = await Task.Factory.StartNew(() =>
        {
            time.HookThisThread(read =>
            {
                if (read != 2)
                {
                    return;
                }

                Assert.True(node.Live.TryGet(job.Id, out live));
                hold = live.Cancellation.Token.Register(() =>
                {
                    cancelled.Set();
                    Assert.True(claim.Wait(TimeSpan.FromSeconds(30)), "the worker never went to claim the outcome");
                });
                // On a thread of its own: its cancel's hook must never block the worker's thread.
                delete = Task.Run(() => node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask());
                Assert.True(cancelled.Wait(TimeSpan.FromSeconds(30)), "the DELETE never cancelled the job");
            });
            var checks = 0;
            reader.OnStaleCheck = () =>
            {
                if (++checks == 2)
                {
                    claim.Set();
                    Assert.True(SpinWait.SpinUntil(() => live!.IsFinished, TimeSpan.FromSeconds(30)), "the DELETE never claimed the outcome");
                }
            };
            try
            {
                return node.Lifecycle.ShouldRun(taken, reader, out _);
            }
            finally
            {
                time.Unhook();
                reader.OnStaleCheck = null;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await hold.DisposeAsync();
        Assert.False(judged);
        Assert.NotNull(delete);

        // The DELETE stores the cancel once the row is free and answers cancelled; the worker lets go of the delivery.
        await DeleteStoresTheCancelThenDeliveryIsAcknowledgedAsync(node, job.Id, rowLock, delete, reader);
    }

    [Fact]
    public async Task ShouldRun_DeleteOnTheSameNodeClaimsAPoisonJobBeforeTheWorkerDeadLettersIt_WorkerLetsGoOfTheDelivery()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        await using var node = await NodeAsync("all");
        // Redelivered after its worker died on its last allowed attempt: the worker dead-letters it rather than run it.
        var job = await AcceptAsync(node, Job().With(4));
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);
        Assert.Equal(taken.MaxAttempts, taken.Attempts);

        // The DELETE's store write is held by a lock on the job's row: it is still storing the cancel when the worker claims.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        Task<JobRecord?>? delete = null;

        // The worker judges the job it took. Hook: at the stale check that precedes its claim of the dead letter (its second,
        // after Track registered the job and found it unfinished), a DELETE lands and claims the outcome first.
        var judged = await Task.Factory.StartNew(() =>
        {
            var checks = 0;
            reader.OnStaleCheck = () =>
            {
                if (++checks != 2)
                {
                    return;
                }

                Assert.True(node.Live.TryGet(job.Id, out var live));
                delete = Task.Run(() => node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask());
                Assert.True(SpinWait.SpinUntil(() => live.IsFinished, TimeSpan.FromSeconds(30)), "the DELETE never claimed the outcome");
            };
            try
            {
                return node.Lifecycle.ShouldRun(taken, reader, out _);
            }
            finally
            {
                reader.OnStaleCheck = null;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.False(judged);
        Assert.NotNull(delete);

        // The DELETE stores the cancel once the row is free and answers cancelled (not dead-lettered); the worker lets go.
        await DeleteStoresTheCancelThenDeliveryIsAcknowledgedAsync(node, job.Id, rowLock, delete, reader);
    }

    [Fact]
    public async Task ShouldRun_DeadlineTimerOnTheSameNodeExpiresTheJobBetweenTheTakeAndTheWorkersDeadlineCheck_WorkerLetsGoOfTheDelivery()
    {
        var time = new HookedTimeProvider();
        await using var node = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker",
            services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        // Published without a gateway's deadline timer (its gateway stopped): only the worker's own times the job. Its
        // deadline is still ahead when the worker takes it, so Track arms that timer.
        var job = Job(deadline: DateTimeOffset.UtcNow.AddSeconds(4));
        await node.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, MaxAttempts = job.MaxAttempts, Deadline = job.Deadline }, CancellationToken.None);
        await node.Queue.PublishAsync(job, 0, TimeSpan.Zero, CancellationToken.None);
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);

        // The timer's store write is held by a lock on the job's row: it is still storing the expiry when the worker claims.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);

        // The worker judges the job it took. Hook: at its deadline check (its second read of the clock, after Track
        // registered the job and armed its deadline timer), the deadline passes and the timer claims the outcome first.
        var judged = await Task.Factory.StartNew(() =>
        {
            time.HookThisThread(read =>
            {
                if (read != 2)
                {
                    return;
                }

                Assert.True(node.Live.TryGet(job.Id, out var live));
                Assert.True(SpinWait.SpinUntil(() => live.IsFinished, TimeSpan.FromSeconds(30)), "the deadline timer never claimed the outcome");
            });
            try
            {
                return node.Lifecycle.ShouldRun(taken, reader, out _);
            }
            finally
            {
                time.Unhook();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.False(judged);

        // The timer stores the expiry once the row is free.
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        await rowLock.ReleaseAsync();
        await UntilAsync(async () => (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status == JobStatus.Expired, () => "the expiry was never stored");

        // The worker lets go of the delivery it took (a prefetch slot lost until its channel closed, without the let-go).
        Assert.Equal("ack", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task ShouldRun_DeleteOnTheSameNodeClaimedTheJobAsTheWorkerTookItAndItsWriteFails_DeliveryHandedBackNotAcknowledged()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        var time = new HookedTimeProvider();
        await using var node = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "all",
            services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        var job = await AcceptAsync(node);
        var reader = new SettlementRecordingReader(node.Queue.GetReader("sleep-batch"));
        var taken = await ReadOneAsync(reader);

        // The DELETE's store write is held by a lock on the job's row.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        Task<JobRecord?>? delete = null;

        // The worker judges the job it took. Hook: at Track's read of the clock (it registered the job just before), a
        // DELETE lands and claims the outcome: the worker finds the job already finished.
        var judged = await Task.Factory.StartNew(() =>
        {
            time.HookThisThread(read =>
            {
                if (read != 1)
                {
                    return;
                }

                Assert.True(node.Live.TryGet(job.Id, out var live));
                delete = Task.Run(() => node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask());
                Assert.True(SpinWait.SpinUntil(() => live.IsFinished, TimeSpan.FromSeconds(30)), "the DELETE never claimed the outcome");
            });
            try
            {
                return node.Lifecycle.ShouldRun(taken, reader, out _);
            }
            finally
            {
                time.Unhook();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.False(judged);
        Assert.NotNull(delete);

        // The cancel is not stored yet: the worker keeps its delivery until it is (it used to acknowledge it at once).
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        Assert.False(reader.Settled.Task.IsCompleted, "the delivery was let go before the DELETE's outcome was stored");

        // The DELETE's write fails (a PostgreSQL error): the job is still queued, and in no queue if its delivery was
        // acknowledged (the gateways' sweep republishes only jobs the broker never confirmed). The worker hands it back,
        // so it comes back and runs.
        await FailTheWaitingWriteAsync("UPDATE jobs SET status = $%, result = $%");
        Assert.Equal(JobStatus.Queued, (await delete.WaitAsync(TimeSpan.FromSeconds(30)))?.Status);
        var back = await DeliveryHandedBackAsync(reader, job.Id);
        Assert.True(node.Lifecycle.ShouldRun(back, reader, out _));
    }

    [Fact]
    public async Task FailAsync_DeleteOnTheSameNodeClaimedTheJobWhileItsStartWasWrittenAndItsWriteFailed_DeliveryHandedBackNotAcknowledged()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        await using var node = await NodeAsync("all");
        var (job, reader, taken, live) = await AcceptAndTakeAsync(node);

        // The start's store write is held by a lock on the job's row; a DELETE on this node finds the job queued and live
        // here, claims the outcome and stores the cancel, its write queued behind the start's.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        var start = node.Lifecycle.StartAsync([taken], [live], 1, reader, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = 1, attempts%", 1);
        var delete = node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        Assert.True(live.IsFinished);

        // The cancel's write fails (a PostgreSQL error); the start is stored, and the run starts.
        await FailTheWaitingWriteAsync("UPDATE jobs SET status = $%, result = $%");
        Assert.Equal(JobStatus.Queued, (await delete.WaitAsync(TimeSpan.FromSeconds(30)))?.Status);
        await rowLock.ReleaseAsync();
        Assert.Equal(1, await start.WaitAsync(TimeSpan.FromSeconds(30)));

        // Its step fails before it sees the cancel. The job is running in the store and no one's outcome is stored: the
        // run hands its delivery back rather than acknowledge it (the job would then be in no queue), so it comes back.
        await node.Lifecycle.FailAsync(taken, reader, live, "boom", retryable: true, 1, 0).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Running, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
        await DeliveryHandedBackAsync(reader, job.Id);
    }

    [Fact]
    public async Task StartAsync_DeleteOnTheSameNodeLandsWhileTheStartIsWritten_RunEndsCancelledAndLetsGoOfTheDelivery()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        await using var node = await NodeAsync("all");
        var (job, reader, taken, live) = await AcceptAndTakeAsync(node);

        // The start's store write is held by a lock on the job's row; the job does not read running here yet.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        var start = node.Lifecycle.StartAsync([taken], [live], 1, reader, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = 1, attempts%", 1);

        // A DELETE on this node finds it queued and live here: it claims the outcome and stores the cancel, its write
        // queued behind the start's. The start is stored first, so the run starts, and finds itself cancelled.
        var delete = node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        await rowLock.ReleaseAsync();
        Assert.Equal(1, await start.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(live.Cancellation.IsCancellationRequested);
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);

        // The batcher ends the run as cancelled at its next step, as for any cancel of a running job: its outcome is the
        // DELETE's, already stored, and the run lets go of its delivery (it used to keep it unacknowledged, a prefetch
        // slot lost, until its channel closed).
        await node.Lifecycle.FinishAsync(taken, reader, live.CancelStatus, null, live.CancelError(running: true), 1, 0, run: live).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
        Assert.Equal("ack", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task StartAsync_StoreHasTheJobFinishedAsAnotherCopyIsJudged_BlockSettledAndTheOtherCopyLetGoAtOnce()
    {
        await using var node = await NodeAsync("all");
        var job = await AcceptAsync(node);
        // A second copy of the job in the broker (a republished one, as after a gateway died before recording its confirm).
        await node.Queue.PublishAsync(job, 0, TimeSpan.Zero, CancellationToken.None);
        var inner = node.Queue.GetReader("sleep-batch");
        var first = new SettlementRecordingReader(inner);
        var second = new SettlementRecordingReader(inner);
        var a = await ReadOneAsync(first);
        var b = await ReadOneAsync(second);
        Assert.True(node.Lifecycle.ShouldRun(a, first, out var live));

        // Another gateway's DELETE stores the cancel; this process never hears of it.
        Assert.True(await node.Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Cancelled, Error = "cancelled by the client", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));

        // The batch's start finds the job finished in the store and claims the block; while it lets go of copy a (the
        // block still registered), the batcher judges copy b, which is tracked onto that same finished block.
        var sameBlock = false;
        bool? judged = null;
        first.OnAcknowledge = () =>
        {
            first.OnAcknowledge = null;
            sameBlock = node.Live.TryGet(job.Id, out var tracked) && ReferenceEquals(tracked, live);
            judged = node.Lifecycle.ShouldRun(b, second, out _);
        };
        Assert.Equal(0, await node.Lifecycle.StartAsync([a], [live], 1, first, CancellationToken.None));
        Assert.True(sameBlock);
        Assert.False(judged);
        Assert.Equal("ack", await first.Settled.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        // The block is settled, so copy b is let go as soon as the store confirms the outcome (it used to wait out the
        // full 60 s for a settlement that never came, its delivery unacknowledged all that time).
        Assert.True(live.Settled.Task.IsCompleted);
        Assert.Equal("ack", await second.Settled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
    }

    [Fact]
    public async Task Shed_DeleteOnTheSameNodeIsStoringTheCancelOfAJobInABatchBeingCollected_BatcherLetsGoOfTheDelivery()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the job live here once the worker took it.
        await using var node = await NodeAsync("all");
        var (job, reader, taken, live) = await AcceptAndTakeAsync(node);

        // While the batch is collected, a DELETE on this node finds the job queued and live here: it claims the outcome
        // and stores the cancel, its write held by a lock on the job's row.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        var delete = node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        Assert.True(live.IsFinished);

        // The batcher sheds the job (its latency model says it would miss its deadline): the outcome is the DELETE's.
        node.Lifecycle.Shed(taken, reader, 60_000);
        await rowLock.ReleaseAsync();
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);

        // Once the cancel is stored the batcher lets go of its delivery (it used to keep it unacknowledged, a prefetch slot
        // lost, until its channel closed).
        Assert.Equal("ack", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
    }

    [Fact]
    public async Task CancelAsync_DeleteOnTheRunsOwnNodeLandsWhileItsRetryIsWritten_JobCancelledNotLeftToTheRetry()
    {
        // Gateway and worker in one process (the default role): a DELETE finds the run live here.
        await using var node = await NodeAsync("all");
        var job = await AcceptAsync(node);
        var (reader, taken, live) = await StartRunAsync(node);

        // The run fails and stores its retry, held by a row lock.
        await using var rowLock = await JobRowLock.HoldAsync(ConnectionString(_store), job.Id);
        var fail = node.Lifecycle.FailAsync(taken, reader, live, "boom", retryable: true, 1, 0);
        await UntilWaitingOnTheLockAsync("%UPDATE jobs SET status = 0, attempts%", 1);

        // A DELETE on this node reads the job running and cancels its run; then the retry is stored, and the run lets go.
        var delete = node.Jobs.CancelAsync(job.Id, CancellationToken.None).AsTask();
        await UntilAsync(() => live.Cancellation.IsCancellationRequested || delete.IsCompleted, () => "the DELETE never reached the run");
        await rowLock.ReleaseAsync();
        await fail.WaitAsync(TimeSpan.FromSeconds(30));

        // No run here ends that cancel any more (the retried copy may go to any worker): the DELETE settles it itself
        // (it used to answer queued after its wait and leave the job to its retry).
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(job.Id, CancellationToken.None))?.Status);
    }

    /// <summary>
    /// The end of a DELETE that claimed a job the worker on its node took, its cancel's write held by <paramref name="rowLock"/>:
    /// once the row is free the cancel is stored and the DELETE answers cancelled, and the worker lets go of the delivery
    /// it took (it used to keep it unacknowledged, a prefetch slot lost, until its channel closed).
    /// </summary>
    private async Task DeleteStoresTheCancelThenDeliveryIsAcknowledgedAsync(Node node, string jobId, JobRowLock rowLock, Task<JobRecord?> delete, SettlementRecordingReader reader)
    {
        await UntilWaitingOnTheLockAsync("UPDATE jobs SET status = $%, result = $%", 1);
        await rowLock.ReleaseAsync();
        var answered = await delete.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);
        Assert.Equal(JobStatus.Cancelled, (await node.Store.GetAsync(jobId, CancellationToken.None))?.Status);
        Assert.Equal("ack", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>The worker handed its delivery back, not acknowledged: the broker delivers the job again, and this is it.</summary>
    private static async Task<QueuedJob> DeliveryHandedBackAsync(SettlementRecordingReader reader, string jobId)
    {
        Assert.Equal("retry", await reader.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        var back = await ReadOneAsync(reader);
        Assert.Equal(jobId, back.Id);
        return back;
    }

    /// <summary>Accepts a job that may fall back (as the OpenAI endpoints' are) on <paramref name="gateway"/>.</summary>
    private static async Task<QueuedJob> AcceptMovableAsync(Node gateway)
    {
        var job = Job();
        job = new QueuedJob { Id = job.Id, Model = job.Model, Priority = job.Priority, InputJson = job.InputJson, EnqueuedAt = job.EnqueuedAt, MaxAttempts = 4, Owner = job.Owner, FallbackAllowed = true };
        await gateway.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = job.EnqueuedAt, MaxAttempts = 4, FallbackAllowed = true }, CancellationToken.None);
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(job, CancellationToken.None));
        return job;
    }

    /// <summary>Waits until <paramref name="count"/> statements like <paramref name="statement"/> wait on a row lock.</summary>
    private async Task UntilWaitingOnTheLockAsync(string statement, long count)
    {
        // Its own connection: pg_stat_activity is read once per transaction.
        await using var watcher = new Npgsql.NpgsqlConnection(ConnectionString(_store));
        await watcher.OpenAsync();
        await using var waiting = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE @q", watcher);
        waiting.Parameters.AddWithValue("q", statement);
        await UntilAsync(async () => (long)(await waiting.ExecuteScalarAsync())! == count, () => $"never {count} waiting on the lock: {statement}");
    }

    /// <summary>Fails the store write like <paramref name="statement"/> that waits on a row lock (its statement cancelled: a PostgreSQL error).</summary>
    private async Task FailTheWaitingWriteAsync(string statement)
    {
        await using var db = new Npgsql.NpgsqlConnection(ConnectionString(_store));
        await db.OpenAsync();
        await using var cancel = new Npgsql.NpgsqlCommand("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE @q", db);
        cancel.Parameters.AddWithValue("q", statement);
        Assert.Equal(1L, (long)(await cancel.ExecuteScalarAsync())!);
    }

    /// <summary>The messages ready in the fallback's (<c>count</c>) lanes.</summary>
    private Task<uint> FallbackReadyAsync() => ReadyAsync("count");

    /// <summary>
    /// The messages ready in a model's lanes (or one of them), as the broker counts them: a gateway's depth leaves out
    /// those of jobs the store no longer has queued.
    /// </summary>
    private async Task<uint> ReadyAsync(string model, string? lane = null)
    {
        var factory = new ConnectionFactory { Uri = RabbitMqUrl.ToAmqp(servers.QueueUrl) };
        await using var conn = await factory.CreateConnectionAsync();
        await using var ch = await conn.CreateChannelAsync();
        var ready = 0u;
        foreach (var l in RabbitMqTopology.Lanes)
        {
            if (lane is null || lane == l)
            {
                ready += (await ch.QueueDeclarePassiveAsync($"{_prefix}.{model}.{l}")).MessageCount;
            }
        }

        return ready;
    }

    /// <summary>The fallback's copy of a job, as <c>JobLifecycle</c> publishes it.</summary>
    private static QueuedJob Moved(QueuedJob j, string model) => new()
    {
        Id = j.Id,
        Model = model,
        Priority = j.Priority,
        InputJson = "{\"n\": 2}",
        Deadline = j.Deadline,
        EnqueuedAt = j.EnqueuedAt,
        Attempts = j.Attempts,
        MaxAttempts = j.MaxAttempts,
        Owner = j.Owner,
        FallbackAllowed = true,
    };

    [Fact]
    public async Task DeclareAsync_DeliveryLimitChangedOnExistingQueues_FailsNamingTheSettingAndTheWayOut()
    {
        await (await NodeAsync("gateway")).DisposeAsync();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => NodeAsync("worker", ("Sluice:Queue:DeliveryLimit", "10")));

        Assert.Contains("x-delivery-limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Queue:DeliveryLimit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Queue:Prefix", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task EnqueueAsync_BrokerUnreachable_ReturnsUnavailable()
    {
        var store = await servers.NewDatabaseAsync();
        var dead = Node.StartAsync("rabbitmq://guest:guest@127.0.0.1:1/", store, _prefix, "gateway", ("Sluice:Queue:StartTimeout", "00:00:01"));
        await Assert.ThrowsAnyAsync<Exception>(() => dead);
    }

    /// <summary>Polls <paramref name="condition"/> for up to 30 s; fails with <paramref name="describe"/> otherwise.</summary>
    private static Task UntilAsync(Func<bool> condition, Func<string> describe) => UntilAsync(() => Task.FromResult(condition()), describe);

    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, describe());
            await Task.Delay(50);
        }
    }

    /// <summary>An Npgsql connection string for a postgres:// store URL.</summary>
    private static string ConnectionString(string storeUrl)
    {
        var uri = new Uri(storeUrl);
        var user = uri.UserInfo.Split(':');
        return $"Host={uri.Host};Port={uri.Port};Username={user[0]};Password={user[1]};Database={uri.AbsolutePath.TrimStart('/')};Pooling=false";
    }
}
