using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.Testing;

namespace Sluice.RabbitMq.Tests;

/// <summary>Events across processes: produced on a worker, followed on a gateway, gapless and persisted first.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqJobEventHubTests(RabbitMqServers servers) : IAsyncLifetime
{
    private readonly string _prefix = "e" + Guid.NewGuid().ToString("N")[..10];
    private string _store = "";

    public async Task InitializeAsync() => _store = await servers.NewDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<List<JobEvent>> DrainAsync(Core.Events.JobEventSubscription sub, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var list = new List<JobEvent>();
        await foreach (var e in sub.Reader.ReadAllAsync(cts.Token))
        {
            list.Add(e);
        }

        return list;
    }

    /// <summary>
    /// A job running on <paramref name="worker"/> as far as the store and its live jobs know, cancelled through
    /// <paramref name="gateway"/>'s hub: its live job once the cancel reached it (or 30 s passed), and the cancel's task.
    /// </summary>
    private static async Task<(Sluice.Core.Scheduling.LiveJob Live, Task Cancel)> CancelRunningJobRemotelyAsync(Node gateway, Node worker, bool releaseIdempotencyKey)
    {
        var job = await CreateAsync(gateway.Store);
        var started = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await gateway.Store.MarkRunningAsync(job.Id, 1, started, CancellationToken.None);
        var live = worker.Live.GetOrAdd(job.Id, "sleep-batch");
        live.StartRun(Core.Queueing.QueuedJob.FromRecord(job), started);

        // A client that went away cancels the run it watched (as a gateway's JobService does); a DELETE whatever runs.
        var run = releaseIdempotencyKey ? new JobRun(1, started) : null;
        var cancel = gateway.Hub.CancelRemoteAsync(job.Id, releaseIdempotencyKey, run, CancellationToken.None).AsTask();
        await UntilCancelledAsync(live);

        return (live, cancel);
    }

    /// <summary>Waits (at most 30 s) for a cancel to reach <paramref name="live"/>; the caller asserts whether it did.</summary>
    private static async Task UntilCancelledAsync(Sluice.Core.Scheduling.LiveJob live)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!live.Cancellation.IsCancellationRequested && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }
    }

    private static async Task<JobRecord> CreateAsync(IJobStore store)
    {
        var job = new JobRecord { Id = JobIds.New(DateTimeOffset.UtcNow), Model = "sleep-batch", InputJson = "{}", Owner = "o", CreatedAt = DateTimeOffset.UtcNow };
        await store.CreateAsync(job, CancellationToken.None);
        return job;
    }

    [Fact]
    public async Task Append_OnWorker_GatewaySubscriberGetsEveryEventInOrderAndStoreHasThem()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        gateway.Hub.Append(job.Id, "queued", "{}");
        Assert.True(gateway.Hub.TrySubscribe(job.Id, 0, out var sub));
        worker.Hub.Seed(job.Id, 1);
        worker.Hub.Append(job.Id, "started", "{\"attempt\":1}");
        for (var i = 1; i <= 50; i++)
        {
            worker.Hub.Append(job.Id, "delta", $"{{\"text\":\"{i}\"}}");
        }

        worker.Hub.Append(job.Id, "completed", "{\"status\":\"succeeded\"}");
        var events = await DrainAsync(sub!, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 53).Select(i => (long)i), events.Select(e => e.Id));
        Assert.Equal("queued", events[0].Type);
        Assert.Equal("completed", events[^1].Type);
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count < 53 && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(53, (await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Forget_StreamWithASubscriber_EndsTheSubscriptionInsteadOfLeavingItWaiting()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        var job = await CreateAsync(gateway.Store);
        gateway.Hub.Append(job.Id, "queued", "{\"requeued\":true}");
        Assert.True(gateway.Hub.TrySubscribe(job.Id, 0, out var sub));

        // A requeue the broker refused forgets the new stream: its follower goes on from the store, not waits for ever.
        gateway.Hub.Forget(job.Id);
        var events = await DrainAsync(sub!, TimeSpan.FromSeconds(5));
        Assert.Equal(["queued"], events.Select(e => e.Type));
        Assert.False(gateway.Hub.TrySubscribe(job.Id, 0, out _));
    }

    [Fact]
    public async Task TrySubscribe_GatewayThatMissedTheStart_FallsBackToStoreThenFollowsLive()
    {
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        await using var early = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        var job = await CreateAsync(worker.Store);
        worker.Hub.Seed(job.Id, 0);
        for (var i = 0; i < 5; i++)
        {
            worker.Hub.Append(job.Id, "delta", "{}");
        }

        // The worker publishes from its outbox, after storing: once a gateway already there has all five, they were
        // published, and a gateway started now cannot be sent them (a fixed sleep let a slow outbox publish them late).
        var until = DateTime.UtcNow.AddSeconds(30);
        while (early.Hub.NextId(job.Id) != 6 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.Equal(6, early.Hub.NextId(job.Id));

        // A gateway started mid-stream (a restart) only sees what comes next.
        await using var late = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        worker.Hub.Append(job.Id, "delta", "{}");
        while (late.Hub.NextId(job.Id) != 7 && DateTime.UtcNow < until.AddSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.Equal(7, late.Hub.NextId(job.Id));
        // From the start it cannot serve (the store does); from id 5 it can.
        Assert.False(late.Hub.TrySubscribe(job.Id, 0, out _));
        Assert.True(late.Hub.TrySubscribe(job.Id, 5, out var sub));
        Assert.True(sub!.Reader.TryRead(out var sixth));
        Assert.Equal(6, sixth.Id);
        Assert.Equal(6, (await late.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count);
        sub.Dispose();
    }

    [Fact]
    public async Task Accept_DeadLetterRequeuedThroughAnotherGateway_GatewayServesOnlyTheNewRun()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var other = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        gateway.Hub.Append(job.Id, "queued", "{}");
        worker.Hub.Seed(job.Id, 1);
        worker.Hub.Append(job.Id, "started", "{\"attempt\":1}");
        worker.Hub.Append(job.Id, "dead_lettered", "{\"status\":\"dead_lettered\",\"error\":\"boom\"}");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (gateway.Hub.NextId(job.Id) != 4 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        // The first run's stream is held here, complete. The dead letter is requeued through the other gateway.
        Assert.Equal(4, gateway.Hub.NextId(job.Id));
        Assert.True(await other.Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));
        Assert.NotNull(await other.Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
        other.Hub.Seed(job.Id, 3);
        other.Hub.Append(job.Id, "queued", "{\"requeued\":true}");
        worker.Hub.Seed(job.Id, 4);
        worker.Hub.Append(job.Id, "started", "{\"attempt\":1}");
        while (gateway.Hub.NextId(job.Id) != 6 && DateTime.UtcNow < until.AddSeconds(5))
        {
            await Task.Delay(20);
        }

        Assert.Equal(6, gateway.Hub.NextId(job.Id));
        Assert.DoesNotContain(gateway.Hub.Snapshot(job.Id, 0), e => e.IsTerminal);
        Assert.True(gateway.Hub.TrySubscribe(job.Id, 3, out var sub));
        Assert.True(sub!.Reader.TryRead(out var queued));
        Assert.True(sub.Reader.TryRead(out var started));
        Assert.Equal((4L, "queued", 5L, "started"), (queued.Id, queued.Type, started.Id, started.Type));
        // Still live: the new run's terminal event is yet to come.
        Assert.False(sub.Reader.Completion.IsCompleted);
        sub.Dispose();
    }

    [Fact]
    public async Task Accept_LaterEventOfAnotherPublisherArrivesFirst_GatewayHoldsItAndServesBothInOrder()
    {
        // The gateways' clocks stand still: their gap patience (2 s) never runs out, however slowly a loaded machine
        // goes from one step to the next, so neither gives up on the gap (and the other then numbers its event 4).
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway",
            services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        await using var other = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway",
            services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        gateway.Hub.Append(job.Id, "queued", "{}");

        // Stored, and followed by the other gateway too: id 3 reaching it first would have it number its own event 3.
        var until = DateTime.UtcNow.AddSeconds(30);
        while (((await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count < 1 || other.Hub.NextId(job.Id) != 2) && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, other.Hub.NextId(job.Id));

        Assert.True(gateway.Hub.TrySubscribe(job.Id, 0, out var sub));
        // Two processes publish one stream: id 3 (the worker's) reaches the gateway before id 2 (the other gateway's),
        // and is stored first, so filling from the store cannot close the gap either.
        worker.Hub.Seed(job.Id, 2);
        worker.Hub.Append(job.Id, "started", "{\"attempt\":1}");

        // Seen held at the gateway, not assumed to have arrived after a sleep.
        while (!gateway.Hub.IsHoldingAfterGap(job.Id) && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.True(gateway.Hub.IsHoldingAfterGap(job.Id), "id 3 never reached the gateway");
        Assert.Equal(2, gateway.Hub.NextId(job.Id));
        other.Hub.Seed(job.Id, 1);
        other.Hub.Append(job.Id, "progress", "{}");
        var events = new List<JobEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (events.Count < 3)
        {
            events.Add(await sub!.Reader.ReadAsync(cts.Token));
        }

        Assert.Equal([(1L, "queued"), (2L, "progress"), (3L, "started")], events.Select(e => (e.Id, e.Type)));
        sub!.Dispose();
    }

    [Fact]
    public async Task CancelRemoteAsync_QueuedJob_StoreSettlesItWithTerminalEvent()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        var job = await CreateAsync(gateway.Store);
        gateway.Hub.Append(job.Id, "queued", "{}");

        // The queued event reaches the store in the background: seen there, not assumed after a sleep.
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count < 1 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        await gateway.Hub.CancelRemoteAsync(job.Id, false, null, CancellationToken.None);
        var stored = await gateway.Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Cancelled, stored!.Status);
        var events = await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        Assert.Equal(["queued", "cancelled"], events.Select(e => e.Type));
        Assert.Equal([1L, 2L], events.Select(e => e.Id));
        Assert.False(await gateway.Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task CancelAsync_ClientWentAwayWhileItsJobWasQueued_FreesTheIdempotencyKeyForItsRetry()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        var job = new JobRecord { Id = JobIds.New(DateTimeOffset.UtcNow), Model = "sleep-batch", InputJson = "{}", Owner = "o", CreatedAt = DateTimeOffset.UtcNow, IdempotencyKey = "k-" + Guid.NewGuid().ToString("N") };
        Assert.True((await gateway.Store.CreateAsync(job, CancellationToken.None)).Created);

        // The request that created it went away unanswered: the cancel frees its key, as it does in process.
        await gateway.Jobs.CancelAsync(job.Id, releaseIdempotencyKey: true, CancellationToken.None);
        Assert.Equal(JobStatus.Cancelled, (await gateway.Store.GetAsync(job.Id, CancellationToken.None))!.Status);
        var retried = await gateway.Store.CreateAsync(job with { Id = JobIds.New(DateTimeOffset.UtcNow) }, CancellationToken.None);
        Assert.True(retried.Created);
    }

    [Fact]
    public async Task CancelRemoteAsync_ClientWentAwayWhileTheJobRunsOnAWorker_WorkerFreesTheKeyWithItsOutcome()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var (live, cancel) = await CancelRunningJobRemotelyAsync(gateway, worker, releaseIdempotencyKey: true);

        Assert.True(live.Cancellation.IsCancellationRequested);
        Assert.True(live.ReleaseIdempotencyKey);
        await cancel;
    }

    [Fact]
    public async Task CancelRemoteAsync_DisconnectCancelOfARunThatHasEnded_LeavesTheJobsNextRunOnAWorkerRunning()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        var first = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-10).ToUnixTimeMilliseconds());
        await gateway.Store.MarkRunningAsync(job.Id, 1, first, CancellationToken.None);

        // The run its client watched (attempt 1) failed and stored its retry; the next run now runs on the worker.
        Assert.True(await gateway.Store.ScheduleRetryAsync(job.Id, 1, "boom", null, null, DateTimeOffset.UtcNow, new JobRun(1, first), CancellationToken.None));
        var second = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.True(await gateway.Store.MarkRunningAsync(job.Id, 2, second, CancellationToken.None));
        var live = worker.Live.GetOrAdd(job.Id, "sleep-batch");
        live.StartRun(Core.Queueing.QueuedJob.FromRecord(job).With(1), second);

        // The client's disconnect-cancel, issued for run 1, lands now.
        await gateway.Hub.CancelRemoteAsync(job.Id, releaseIdempotencyKey: true, new JobRun(1, first), CancellationToken.None);
        var afterIt = await gateway.Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Running, afterIt!.Status);
        Assert.Equal(2, afterIt.Attempts);

        // A DELETE sent after it on the same exchange reaches the worker after it: once that one has, the first was handled.
        var delete = gateway.Hub.CancelRemoteAsync(job.Id, false, null, CancellationToken.None).AsTask();
        await UntilCancelledAsync(live);

        Assert.True(live.Cancellation.IsCancellationRequested, "the DELETE never reached the worker");
        // Run 2 was stopped by the DELETE only: the disconnect's cancel (which frees the key) never applied to it, and the
        // gateway did not settle run 2 on its behalf.
        Assert.False(live.ReleaseIdempotencyKey);
        await delete;
    }

    [Fact]
    public async Task CancelRemoteAsync_JobRunningOnWorker_WorkerLiveJobIsCancelled()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var (live, cancel) = await CancelRunningJobRemotelyAsync(gateway, worker, releaseIdempotencyKey: false);

        Assert.True(live.Cancellation.IsCancellationRequested);
        Assert.Equal(JobStatus.Cancelled, live.CancelStatus);
        // The worker writes the outcome when it stops the job; here nobody does, so the gateway gives up waiting.
        await cancel;
    }

    [Fact]
    public async Task CancelRemoteAsync_JobRunningWhileBrokerDown_ThrowsQueueUnavailableThenSendsTheCancelWhenTheBrokerIsBack()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        await gateway.Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        var live = worker.Live.GetOrAdd(job.Id, "sleep-batch");
        await servers.StopRabbitMqAsync();
        try
        {
            // The cancel cannot reach the worker: the caller must be told (503), not shown a cancel that never happens.
            await Assert.ThrowsAsync<Core.Queueing.QueueUnavailableException>(async () => await gateway.Hub.CancelRemoteAsync(job.Id, false, null, CancellationToken.None));
            Assert.Equal(JobStatus.Running, (await gateway.Store.GetAsync(job.Id, CancellationToken.None))!.Status);
        }
        finally
        {
            await servers.StartRabbitMqAsync();
        }

        // Both processes reconnect by themselves; the gateway then sends the cancel it kept.
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!live.Cancellation.IsCancellationRequested && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.True(live.Cancellation.IsCancellationRequested);
        Assert.Equal(JobStatus.Cancelled, live.CancelStatus);
    }

    [Fact]
    public async Task CancelRemoteAsync_RunningJobWhoseWorkerDied_JobSettledAndCancelReachesTheCopyRedeliveredToAnotherWorker()
    {
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        // Started by a worker that was then SIGKILLed: running in the store, live nowhere.
        await gateway.Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);

        // Nobody stops it within the DELETE's wait: the gateway settles it in the store, so the cancel holds even if
        // this gateway goes away (a copy taken later finds the job finished), and the stream ends with it.
        await gateway.Hub.CancelRemoteAsync(job.Id, false, null, CancellationToken.None);
        var record = await gateway.Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Cancelled, record!.Status);
        Assert.Equal("cancelled by the client", record.Error);
        Assert.Equal(JobEventTypes.Cancelled, (await gateway.Store.GetEventsAsync(job.Id, 0, CancellationToken.None))[^1].Type);

        // The broker redelivers the job to the surviving worker after the cancel went out and the copy starts before
        // it looks at the store: it must still be stopped, not run to its end for nothing.
        var live = worker.Live.GetOrAdd(job.Id, "sleep-batch");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!live.Cancellation.IsCancellationRequested && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.True(live.Cancellation.IsCancellationRequested, "the redelivered copy never got the cancel");
        Assert.Equal(JobStatus.Cancelled, live.CancelStatus);
    }

    [Fact]
    public async Task CancelRemoteAsync_SweepFindsTheJobSettledBeforeItsCancelIsMarkedSettled_CancelStillReachesTheRedeliveredCopy()
    {
        SweepHoldingJobStore? held = null;
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", services =>
        {
            var store = services.Single(d => d.ServiceType == typeof(IJobStore));
            services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => held = new SweepHoldingJobStore((IJobStore)store.ImplementationFactory!(sp))));
        });
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
        var job = await CreateAsync(gateway.Store);
        await gateway.Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);

        // Its worker died: the gateway settles the job after the DELETE's wait. The hub's once-a-second sweep comes by
        // between that settle being stored and the cancel it keeps being marked settled, reads the job ended, and acts
        // on what it read only after the mark: the sweep must not drop the settled cancel it never read.
        held!.Arm(job.Id);
        await gateway.Hub.CancelRemoteAsync(job.Id, false, null, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(held.ReadHeld.Task.IsCompleted, "the sweep never read the settled job");
        Assert.Equal(JobStatus.Cancelled, (await gateway.Store.GetAsync(job.Id, CancellationToken.None))!.Status);
        held.ReleaseRead();

        // The broker redelivers the job to the surviving worker, whose copy starts before it looks at the store.
        var live = worker.Live.GetOrAdd(job.Id, "sleep-batch");
        await UntilCancelledAsync(live);
        Assert.True(live.Cancellation.IsCancellationRequested, "the redelivered copy never got the cancel");
        Assert.Equal(JobStatus.Cancelled, live.CancelStatus);
    }
}
