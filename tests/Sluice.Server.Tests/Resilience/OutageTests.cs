using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Events;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;
using Sluice.Sqlite;

namespace Sluice.Server.Tests.Resilience;

/// <summary>
/// What clients see while the queue transport or the store is down (simulated in process: a queue that refuses, a
/// store that throws as PostgreSQL does when unreachable): 503 or 429 with Retry-After, never a 500, and nothing
/// that a retry after the outage cannot fix.
/// </summary>
public sealed class OutageTests
{
    private static readonly Dictionary<string, string> Fast = new()
    {
        ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
        ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
    };

    /// <summary>As <see cref="Fast"/>, with a second attempt after a quick retry.</summary>
    private static readonly Dictionary<string, string> RetryingOnce = new(Fast)
    {
        ["Sluice:Models:sleep-batch:MaxAttempts"] = "2",
        ["Sluice:Retry:BaseDelay"] = "00:00:00.010",
        ["Sluice:Retry:MaxDelay"] = "00:00:00.020",
    };

    private static Task<TestServer> StartAsync() => StartAsync(Fast);

    private static Task<TestServer> StartAsync(Dictionary<string, string> settings) => TestServer.StartAsync(settings, configureServices: services =>
    {
        services.AddSingleton<RefusingJobQueue>();
        services.Replace(ServiceDescriptor.Singleton<IJobQueue>(sp => sp.GetRequiredService<RefusingJobQueue>()));
        services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
        services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
    });

    [Theory]
    [InlineData(EnqueueResult.Unavailable, HttpStatusCode.ServiceUnavailable)]
    [InlineData(EnqueueResult.Full, HttpStatusCode.TooManyRequests)]
    public async Task Submit_QueueRefusedThenRetriedWithSameIdempotencyKey_RetryCreatesAndRunsTheJob(EnqueueResult refusal, HttpStatusCode expected)
    {
        await using var server = await StartAsync();
        var queue = server.Services.GetRequiredService<RefusingJobQueue>();
        const string body = "{\"model\":\"sleep-batch\",\"input\":{\"x\":1}}";

        queue.Refuse = refusal;
        var (refused, _) = await server.PostJobAsync(body, idempotencyKey: "K1");
        Assert.Equal(expected, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);

        queue.Refuse = null;
        var (retried, job) = await server.PostJobAsync(body, waitSeconds: 10, idempotencyKey: "K1");
        Assert.False(retried.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());

        // From now on the key is bound to the job that ran.
        var (replayed, again) = await server.PostJobAsync(body, idempotencyKey: "K1");
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(job.GetProperty("id").GetString(), again.GetProperty("id").GetString());
    }

    [Fact]
    public async Task RequeueDeadLetter_QueueUnavailable_Answers503AndJobStaysDeadLetteredUntilARetrySucceeds()
    {
        await using var server = await StartAsync();
        var queue = server.Services.GetRequiredService<RefusingJobQueue>();
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal("dead_lettered", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20))).GetProperty("status").GetString());
        var eventsBefore = await server.ReadEventsAsync(id);

        queue.Refuse = EnqueueResult.Unavailable;
        using (var refused = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        // Still a dead letter, as it was: listed, with its attempts and its whole stream.
        var job = await server.GetJobAsync(id);
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        var list = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/dead-letters"));
        Assert.Contains(list.GetProperty("data").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        Assert.Equal(eventsBefore.Select(e => (e.Id, e.Event)), (await server.ReadEventsAsync(id)).Select(e => (e.Id, e.Event)));

        queue.Refuse = null;
        using (var accepted = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var rerun = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("dead_lettered", rerun.GetProperty("status").GetString());
        Assert.Equal(1, rerun.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task RequeueDeadLetter_QueueRefusesWhileAStreamFollowsTheNewRun_StreamEndsAndAReconnectGets204()
    {
        await using var server = await StartAsync();
        var queue = server.Services.GetRequiredService<RefusingJobQueue>();
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal("dead_lettered", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20))).GetProperty("status").GetString());
        var lastId = (await server.ReadEventsAsync(id))[^1].Id;

        // The queue answers (refuses) only once the stream below has joined the requeued run, as a broker slow to confirm.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.HeldEnqueues = held;
        queue.Refuse = EnqueueResult.Unavailable;
        var requeue = server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);
        await queue.EnqueueHeld.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var hub = server.Services.GetRequiredService<JobService>().Events;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stream = server.ReadEventsAsync(id, lastId, stop.Token);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (hub.OpenSubscriptions == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the stream never subscribed");
            await Task.Delay(10);
        }

        held.SetResult();
        using (var refused = await requeue)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        // The new run's stream was dropped with the refusal: its follower's stream ends (it used to stay open, with
        // keep-alives, until the client left), and a reconnect from what it saw is told there is nothing more.
        var events = await stream.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([(lastId + 1, "queued")], events.Select(e => (e.Id, e.Event)));
        using var reconnect = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        reconnect.Headers.Add("Last-Event-ID", (lastId + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var again = await server.Client.SendAsync(reconnect);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal("dead_lettered", (await server.GetJobAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task PreferWait_StoreDownWhileItPollsForAJobRunElsewhere_RidesOutTheOutageAndAnswersTheOutcome()
    {
        await using var server = await StartAsync();
        var (store, id, body) = await QueuedElsewhereAsync(server, "ride-out");

        // The replay waits by polling the store; the store then goes down for several polling rounds and comes back.
        var before = store.EventReads;
        var replay = server.PostJobAsync(body, waitSeconds: 30, idempotencyKey: "ride-out");
        await UntilAsync(() => store.EventReads > before, "the wait never polled the store");
        store.Down = true;
        var down = store.EventReads;
        await UntilAsync(() => store.EventReads >= down + 3, "the wait stopped polling during the outage");
        Assert.False(replay.IsCompleted, "the wait ended during the outage");
        store.Down = false;
        store.HeldStarts!.SetResult();

        var (response, job) = await replay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, job.GetProperty("id").GetString());
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task PreferWait_StoreStillDownWhenTheWaitRunsOut_Answers202WithTheJobsLocationAndTheJobRunsOn()
    {
        await using var server = await StartAsync();
        var (store, id, body) = await QueuedElsewhereAsync(server, "run-out");

        var before = store.EventReads;
        var replay = server.PostJobAsync(body, waitSeconds: 2, idempotencyKey: "run-out");
        await UntilAsync(() => store.EventReads > before, "the wait never polled the store");
        store.Down = true;

        // Down past the wait limit: the answer is what was known of the job, not a 503 for a job that is fine.
        var (response, job) = await replay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/v1/jobs/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("queued", job.GetProperty("status").GetString());

        store.Down = false;
        store.HeldStarts!.SetResult();
        Assert.Equal("succeeded", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20))).GetProperty("status").GetString());
    }

    /// <summary>
    /// A job accepted with <paramref name="key"/>, held queued (its start waits), whose stream this process's hub no
    /// longer holds: a wait for it polls the store, as for a job another process runs.
    /// </summary>
    private static async Task<(OutageJobStore Store, string Id, string Body)> QueuedElsewhereAsync(TestServer server, string key)
    {
        const string Body = "{\"model\":\"sleep-batch\",\"input\":{\"x\":1},\"cache\":false}";
        var store = server.Services.GetRequiredService<OutageJobStore>();
        store.HeldStarts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (accepted, submitted) = await server.PostJobAsync(Body, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var id = submitted.GetProperty("id").GetString()!;
        server.Services.GetRequiredService<JobService>().Events.Forget(id);
        return (store, id, Body);
    }

    /// <summary>Submits a job that fails into a dead letter, whose writer is held after storing it until <paramref name="published"/>.</summary>
    private static async Task<(string Id, long LastId)> DeadLetterHeldBeforeItsEndAsync(TestServer server, OutageJobStore store, TaskCompletionSource published)
    {
        store.HeldAfterCompletions = published;
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = submitted.GetProperty("id").GetString()!;
        await store.CompletionCommitted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldAfterCompletions = null;
        return (id, (await store.GetEventsAsync(id, 0, CancellationToken.None))[^1].Id);
    }

    /// <summary>Requeues the dead letter over HTTP with the new run held at its start until the returned source is set.</summary>
    private static async Task<TaskCompletionSource> RequeueHeldAtItsStartAsync(TestServer server, OutageJobStore store, string id)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldStarts = held;
        using var accepted = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return held;
    }

    private static async Task<List<(long Id, string Type)>> ReadToItsEndAsync(JobEventSubscription sub)
    {
        var seen = new List<(long Id, string Type)>();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var e in sub.Reader.ReadAllAsync(bound.Token))
        {
            seen.Add((e.Id, e.Type));
        }

        return seen;
    }

    private static async Task UntilAsync(Func<bool> condition, string failure)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, failure);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task RequeueDeadLetter_BeforeTheDeadLettersEndIsPublished_NewRunsStreamStaysOpenAndEndsWithItsOwnOutcome()
    {
        await using var server = await StartAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;

        // The dead letter is stored, and its writer held before it publishes the terminal event: the window.
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (id, lastId) = await DeadLetterHeldBeforeItsEndAsync(server, store, published);

        // Requeued in the window; the new run is held at its start, so its stream must stay open with its queued event.
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);

        Assert.True(hub.TrySubscribe(id, lastId, out var sub));
        using (sub)
        {
            // The first run's end is published now; it is counted right after, which says it has happened.
            published.SetResult();
            var until = DateTime.UtcNow.AddSeconds(10);
            while (await PrometheusText.CounterAsync(server.Client, "sluice_jobs_finished_total", "status=\"dead_lettered\"") < 1)
            {
                Assert.True(DateTime.UtcNow < until, "the first run's outcome was never published");
                await Task.Delay(10);
            }

            // It did not touch the new run's stream, which then ends with the new run's own outcome, as stored.
            heldStart.SetResult();
            var seen = await ReadToItsEndAsync(sub);

            Assert.Equal((lastId + 1, "queued"), seen[0]);
            Assert.Equal("dead_lettered", seen[^1].Type);
            Assert.Single(seen, e => e.Type == "dead_lettered");
            var stored = await store.GetEventsAsync(id, lastId, CancellationToken.None);
            Assert.Equal(stored.Select(e => (e.Id, e.Type)), seen);
        }
    }

    [Fact]
    public async Task FinishAsync_StaleRunEndsAfterItsJobWasDeadLetteredAndRequeued_RefusedAndTheNewRunsStreamEndsWithItsOwnOutcome()
    {
        await using var server = await StartAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;

        // The first run has its result and is about to store it, held there.
        var staleHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldCompletions = staleHeld;
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"x\":1},\"cache\":false}");
        var id = submitted.GetProperty("id").GetString()!;
        await store.CompletionHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldCompletions = null;

        // Meanwhile a sweep dead-letters the job (its run's lease is taken for lost), and a client requeues it; the new run
        // is held at its start, so its stream stays open on its queued event.
        var swept = await SweptAsync(server, hub, id);
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);

        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(hub.TrySubscribe(id, swept.Id, out var sub));
        using (sub)
        {
            // The stale run's result reaches the store now: it belongs to a run the job has left, so it is refused
            // (it used to be stored as the requeued job's outcome, and the new run then never ran).
            var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            store.HeldAfterCompletions = answered;
            staleHeld.SetResult();
            await store.CompletionCommitted.Task.WaitAsync(TimeSpan.FromSeconds(20));
            store.HeldAfterCompletions = null;
            Assert.Equal("queued", (await server.GetJobAsync(id)).GetProperty("status").GetString());
            answered.SetResult();

            // The new run then runs, and its stream (untouched by the stale run) ends with its own outcome, as stored.
            heldStart.SetResult();
            var seen = await ReadToItsEndAsync(sub);

            Assert.Equal((swept.Id + 1, "queued"), seen[0]);
            Assert.Equal("completed", seen[^1].Type);
            Assert.Single(seen, e => Sluice.Core.Jobs.JobEventTypes.IsTerminal(e.Type));
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            await AssertStreamIsTheStoredEventsAsync(store, id, swept.Id, seen);
        }
    }

    [Fact]
    public async Task FailAsync_StaleRunFailsAfterItsJobWasDeadLetteredAndRequeued_RetryRefusedAndTheNewRunRunsItsOwnAttempts()
    {
        await using var server = await StartAsync(RetryingOnce);
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;

        // The first run failed (attempt 1 of 2) and is about to schedule its retry, held there.
        var (id, staleHeld) = await FailedRunHeldBeforeItsRetryAsync(server, store);

        // Meanwhile a sweep dead-letters the job and a client requeues it; the new run is held at its start.
        var swept = await SweptAsync(server, hub, id);
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);
        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(hub.TrySubscribe(id, swept.Id, out var sub));
        using (sub)
        {
            // The stale run's retry reaches the store now: it belongs to a run the job has left, so it is refused (it used
            // to send the requeued job back to queued with the stale failure, and put a second copy of it in the queue).
            staleHeld.SetResult();
            Assert.False(await store.RetryAnswered.Task.WaitAsync(TimeSpan.FromSeconds(20)));
            var requeued = await store.GetAsync(id, CancellationToken.None);
            Assert.Equal(Sluice.Core.Jobs.JobStatus.Queued, requeued!.Status);
            Assert.Equal(0, requeued.Attempts);

            // The new run then runs its own two attempts, and its stream shows its retry only.
            heldStart.SetResult();
            var seen = await ReadToItsEndAsync(sub);

            Assert.Equal((swept.Id + 1, "queued"), seen[0]);
            Assert.Single(seen, e => e.Type == "retrying");
            Assert.Equal("dead_lettered", seen[^1].Type);
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
            Assert.Equal(2, job.GetProperty("attempts").GetInt32());
            await AssertStreamIsTheStoredEventsAsync(store, id, swept.Id, seen);
        }
    }

    [Fact]
    public async Task Progress_StaleRunReportsAfterItsJobWasDeadLetteredAndRequeuedHere_NoneOfItsEventsReachesTheNewRunsStream()
    {
        await using var server = await StartAsync(RetryingOnce);
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;
        var lifecycle = server.Services.GetRequiredService<JobLifecycle>();

        // The first run failed and is held where it schedules its retry: still a run in progress here.
        var (id, staleHeld) = await FailedRunHeldBeforeItsRetryAsync(server, store);
        Assert.True(server.Services.GetRequiredService<LiveJobs>().TryGet(id, out var stale));

        // A sweep dead-letters the job and a client requeues it; the new run is held at its start.
        var swept = await SweptAsync(server, hub, id);
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);
        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(hub.TrySubscribe(id, swept.Id, out var sub));
        using (sub)
        {
            // The stale run still reports (a batch's progress, a sequence's delta): the hub keys streams by job id, so they
            // used to land in the new run's stream, before its started event.
            lifecycle.Progress(stale, "stale", 0.5, null);
            lifecycle.Delta(stale, "stale", 1);
            staleHeld.SetResult();
            Assert.False(await store.RetryAnswered.Task.WaitAsync(TimeSpan.FromSeconds(20)));
            heldStart.SetResult();
            var seen = await ReadToItsEndAsync(sub);

            Assert.Equal((swept.Id + 1, "queued"), seen[0]);
            Assert.Equal((swept.Id + 2, "started"), seen[1]);
            Assert.DoesNotContain(seen, e => e.Type is "progress" or "delta");
            Assert.Equal("dead_lettered", seen[^1].Type);
            Assert.Equal(2, stale.DroppedEvents);
            await AssertStreamIsTheStoredEventsAsync(store, id, swept.Id, seen);
        }
    }

    [Fact]
    public async Task RequeueDeadLetter_ItsStaleRunStillGeneratesHere_StaleRunStopsAsSupersededAndTheNewRunRuns()
    {
        await using var server = await StartAsync(new Dictionary<string, string>(Fast) { ["Sluice:BuiltIns:CountStepMs"] = "20" });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;
        var lives = server.Services.GetRequiredService<LiveJobs>();

        // A long generation runs (its steps would go on for half an hour).
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100000},\"cache\":false}");
        var id = submitted.GetProperty("id").GetString()!;
        LiveJob? stale = null;
        await UntilAsync(() => lives.TryGet(id, out stale) && stale.Run is not null, "the job never ran");

        // A sweep dead-letters it behind its run's back and a client requeues it; the new run is held at its start.
        var swept = await SweptAsync(server, hub, id);
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);

        // The stale run stops at its next step (it used to generate to its end, and only then be refused), and lets the
        // job go as superseded: no outcome of its own, and not the client's cancel.
        await stale!.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(stale.Superseded);
        var requeued = await store.GetAsync(id, CancellationToken.None);
        Assert.Equal(Sluice.Core.Jobs.JobStatus.Queued, requeued!.Status);
        Assert.Equal(0, requeued.Attempts);

        // The new run starts and runs, its own control block untouched by that cancel.
        heldStart.SetResult();
        LiveJob? fresh = null;
        await UntilAsync(() => lives.TryGet(id, out fresh) && fresh.Run is not null, "the new run never started");
        Assert.NotSame(stale, fresh);
        Assert.False(fresh!.Cancellation.IsCancellationRequested);
        Assert.Equal(Sluice.Core.Jobs.JobStatus.Running, (await store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task RequeueDeadLetter_StaleRunSupersededThenTheNewRunsStartMeetsAStoreOutage_JobRunsLaterAndSucceeds()
    {
        await using var server = await StartAsync(new Dictionary<string, string>(Fast) { ["Sluice:BuiltIns:CountStepMs"] = "20" });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;
        var lives = server.Services.GetRequiredService<LiveJobs>();

        // A generation of a few seconds runs; a sweep dead-letters it behind its run's back and a client requeues it.
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100},\"cache\":false}");
        var id = submitted.GetProperty("id").GetString()!;
        LiveJob? stale = null;
        await UntilAsync(() => lives.TryGet(id, out stale) && stale.Run is not null, "the job never ran");
        await SweptAsync(server, hub, id);
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);

        // The stale run is stopped as superseded: its work is thrown away, though the store would refuse it anyway (the
        // job has left that run), so no accepted work goes with it.
        await stale!.Settled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(stale.Superseded);

        // The new run's start then meets a store outage: that copy is handed back, uncounted.
        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldStarts = null;
        Assert.True(lives.TryGet(id, out var copy));
        Assert.NotSame(stale, copy);
        store.Down = true;
        heldStart.SetResult();
        await UntilAsync(() => !lives.TryGet(id, out var current) || !ReferenceEquals(current, copy), "the new run's copy was never handed back");
        store.Down = false;

        // Only the stale run's model time was lost: the copy comes back, runs, and the job ends with its own outcome.
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task FailAsync_PoisonJobsRetryWriteMeetsAStoreOutage_NotRunAgainWhileTheStoreIsDownAndOneUncountedRunPerOutage()
    {
        // A failed run whose retry cannot be stored goes back to the queue without its attempt counted. That cannot loop
        // while the store is down: every run first stores its start (attempts included), and a start that meets the
        // outage hands the job back without running it. So an outage costs a poison job one uncounted run, however long.
        await using var server = await StartAsync(RetryingOnce);
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var (id, retryHeld) = await FailedRunHeldBeforeItsRetryAsync(server, store);
        Assert.Equal(1, store.StartsStored);

        store.Down = true;
        retryHeld.SetResult();
        // Handed back every second meanwhile, each start meeting the outage: the model never runs.
        await UntilAsync(() => store.StartsRefused >= 3, "the job was not handed back during the outage");
        Assert.Equal(1, store.StartsStored);
        store.Down = false;

        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        // Its two counted runs and the one whose retry met the outage.
        Assert.Equal(3, store.StartsStored);
    }

    [Fact]
    public async Task CancelAsync_DisconnectCancelLandsAfterTheRunItWasIssuedForScheduledItsRetry_TheRetryRunsOn()
    {
        await using var server = await StartAsync(RetryingOnce);
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var jobs = server.Services.GetRequiredService<JobService>();
        var (id, retryHeld) = await FailedRunHeldBeforeItsRetryAsync(server, store);
        Assert.True(jobs.Events.TrySubscribe(id, 0, out var sub));

        var (cancel, readHeld) = await DisconnectCancelHeldAfterItsReadAsync(store, jobs, id);

        // The run schedules its retry (its retrying event says the run has let go), then the cancel lands.
        using (sub)
        {
            retryHeld.SetResult();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while ((await sub.Reader.ReadAsync(bound.Token)).Type != "retrying")
            {
            }
        }

        readHeld.SetResult();
        await cancel.WaitAsync(TimeSpan.FromSeconds(20));

        // The cancel was for the run that ended: the retry runs (and fails again, into a dead letter), not cancelled.
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task CancelAsync_DisconnectCancelLandsAfterTheRetryIsStoredBeforeTheRunLetsGo_TheRetryRunsOn()
    {
        await using var server = await StartAsync(RetryingOnce);
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var jobs = server.Services.GetRequiredService<JobService>();
        var (id, retryHeld) = await FailedRunHeldBeforeItsRetryAsync(server, store);

        var (cancel, readHeld) = await DisconnectCancelHeldAfterItsReadAsync(store, jobs, id);

        // The retry is stored, and the run is held before it lets go of the job (still running here): the cancel lands there.
        var afterRetry = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldAfterRetries = afterRetry;
        retryHeld.SetResult();
        await store.RetryCommitted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldAfterRetries = null;
        Assert.True(server.Services.GetRequiredService<LiveJobs>().TryGet(id, out var live));
        readHeld.SetResult();

        // The cancel has decided (refused, or cancelled the run) before the run lets go.
        await UntilAsync(() => cancel.IsCompleted || live.Cancellation.IsCancellationRequested, "the cancel never decided");
        afterRetry.SetResult();
        await cancel.WaitAsync(TimeSpan.FromSeconds(20));

        // The cancel was for the run that scheduled the retry: the retry runs (and fails again, into a dead letter).
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task CancelAsync_DisconnectCancelLandsAfterTheMoveToAFallbackIsStoredBeforeTheRunLetsGo_TheMovedJobRunsOn()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // A long step: the run is still in progress when its upstream's answer (below) moves the job.
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        }, configureServices: services =>
        {
            services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
            services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
            services.Replace(ServiceDescriptor.Singleton<IJobRerouter, HeldBackRerouter>());
        });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var jobs = server.Services.GetRequiredService<JobService>();
        var lives = server.Services.GetRequiredService<LiveJobs>();
        var submitted = await jobs.SubmitAsync(new SubmitRequest
        {
            Model = "sleep-batch",
            Input = System.Text.Json.JsonDocument.Parse("{\"x\":1}").RootElement.Clone(),
            // The test client's caller, so it reads the job over HTTP.
            Owner = "anonymous",
            UseCache = false,
            FallbackAllowed = true,
        }, CancellationToken.None);
        Assert.Equal(SubmitStatus.Accepted, submitted.Status);
        var id = submitted.Job!.Id;
        LiveJob? live = null;
        await UntilAsync(() => lives.TryGet(id, out live) && live.Run is not null, "the job never ran");

        var (cancel, readHeld) = await DisconnectCancelHeldAfterItsReadAsync(store, jobs, id);

        // Its upstream asks for a long wait: the run moves the job to its fallback, and is held after the move is stored,
        // before it lets go of the job (still its run here): the cancel lands there.
        var afterMove = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldAfterReroutes = afterMove;
        var reader = server.Services.GetRequiredService<IJobQueue>().GetReader("sleep-batch");
        var move = server.Services.GetRequiredService<JobLifecycle>().FailAsync(live!.Ran!, reader, live, "upstream busy", retryable: true, 1, 0, retryAfter: TimeSpan.FromHours(1));
        await store.RerouteCommitted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldAfterReroutes = null;
        readHeld.SetResult();

        // The cancel has decided (refused, or cancelled the run) before the run lets go.
        await UntilAsync(() => cancel.IsCompleted || live.Cancellation.IsCancellationRequested, "the cancel never decided");
        afterMove.SetResult();
        await move.WaitAsync(TimeSpan.FromSeconds(20));
        await cancel.WaitAsync(TimeSpan.FromSeconds(20));

        // The cancel was for the run that moved the job: the fallback runs it (it used to be cancelled there).
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("echo", job.GetProperty("model").GetString());
    }

    /// <summary>
    /// Submits a job whose first run fails, and holds that run where it is about to schedule its retry: the job is still
    /// running in the store. Completing the returned source lets the retry be stored.
    /// </summary>
    private static async Task<(string Id, TaskCompletionSource RetryHeld)> FailedRunHeldBeforeItsRetryAsync(TestServer server, OutageJobStore store)
    {
        var retryHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldRetries = retryHeld;
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = submitted.GetProperty("id").GetString()!;
        await store.RetryHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldRetries = null;
        return (id, retryHeld);
    }

    /// <summary>
    /// Its client goes away: issues the disconnect-cancel of job <paramref name="id"/> and holds it once it has read the
    /// job (running the held run). Completing the returned source lets the cancel act on what it read.
    /// </summary>
    private static async Task<(Task Cancel, TaskCompletionSource ReadHeld)> DisconnectCancelHeldAfterItsReadAsync(OutageJobStore store, JobService jobs, string id)
    {
        var readHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldReads = readHeld;
        var cancel = jobs.CancelAsync(id, releaseIdempotencyKey: true, CancellationToken.None).AsTask();
        await store.ReadHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldReads = null;
        return (cancel, readHeld);
    }

    /// <summary>The events a subscriber saw after <paramref name="afterId"/> are exactly those stored, in order.</summary>
    private static async Task AssertStreamIsTheStoredEventsAsync(OutageJobStore store, string id, long afterId, List<(long Id, string Type)> seen)
    {
        var stored = await store.GetEventsAsync(id, afterId, CancellationToken.None);
        Assert.Equal(stored.Select(e => (e.Id, e.Type)), seen);
    }

    /// <summary>Dead-letters job <paramref name="id"/> in the store behind its run's back, as a sweep taking its lease for lost does.</summary>
    private static async Task<Sluice.Core.Jobs.JobEvent> SweptAsync(TestServer server, IJobEventHub hub, string id)
    {
        var swept = new Sluice.Core.Jobs.JobEvent(id, hub.NextId(id), "dead_lettered",
            "{\"status\":\"dead_lettered\",\"error\":\"lease lost (test sweep)\",\"error_code\":\"worker_lost\"}", DateTimeOffset.UtcNow);
        Assert.True(await server.Services.GetRequiredService<SqliteJobStore>().CompleteAsync(new JobCompletion
        {
            JobId = id,
            Status = Sluice.Core.Jobs.JobStatus.DeadLettered,
            Error = "lease lost (test sweep)",
            ErrorCode = Sluice.Core.Jobs.JobErrorCodes.WorkerLost,
            CompletedAt = DateTimeOffset.UtcNow,
            Events = [swept],
        }, CancellationToken.None));
        return swept;
    }

    [Fact]
    public async Task EventsSse_FollowingTheRunARequeueReplaces_GoesOnWithTheNewRunLiveFromItsQueuedEvent()
    {
        await using var server = await StartAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var hub = server.Services.GetRequiredService<JobService>().Events;

        // The dead letter is stored, its end not yet published, while a client follows the first run's stream.
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (id, lastId) = await DeadLetterHeldBeforeItsEndAsync(server, store, published);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<(long Id, string Event, string Data)>();
        var boundary = new TaskCompletionSource<(long Id, string Event, string Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = FollowAsync();
        await UntilAsync(() => hub.OpenSubscriptions == 1, "the stream never subscribed");

        // Requeued; the new run is held at its start, so it has only its queued event, and has not ended.
        var heldStart = await RequeueHeldAtItsStartAsync(server, store, id);

        // The follower gets the new run's queued event now, live: the run boundary (it used to get nothing until the
        // new run had ended, when the SQLite store first held its events).
        var queued = await boundary.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(lastId + 1, queued.Id);
        Assert.Contains("\"requeued\":true", queued.Data, StringComparison.Ordinal);
        published.SetResult();
        heldStart.SetResult();

        // Then the new run's events up to its own end, as stored: one terminal event, ids following on.
        var events = await stream.WaitAsync(TimeSpan.FromSeconds(30));
        var tail = events.SkipWhile(e => e.Id <= lastId).Select(e => (e.Id, e.Event)).ToList();
        Assert.Equal((await store.GetEventsAsync(id, lastId, CancellationToken.None)).Select(e => (e.Id, e.Type)), tail);
        Assert.Equal("dead_lettered", tail[^1].Event);
        Assert.Single(events, e => Sluice.Core.Jobs.JobEventTypes.IsTerminal(e.Event));

        async Task<List<(long Id, string Event, string Data)>> FollowAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
            using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            return await SseParser.ReadAllAsync(await response.Content.ReadAsStreamAsync(stop.Token), stop.Token, e =>
            {
                if (e.Event == "queued" && e.Id > lastId)
                {
                    boundary.TrySetResult(e);
                }
            });
        }
    }

    [Theory]
    [InlineData("GET", "/v1/jobs/{id}")]
    [InlineData("GET", "/v1/jobs")]
    [InlineData("GET", "/v1/jobs/{id}/events")]
    [InlineData("GET", "/v1/dead-letters")]
    [InlineData("DELETE", "/v1/jobs/{id}")]
    [InlineData("POST", "/v1/dead-letters/{id}/requeue")]
    public async Task JobEndpoints_StoreUnavailable_AnswerProblem503WithRetryAfter(string method, string path)
    {
        await using var server = await StartAsync();
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"x\":1}}", waitSeconds: 10);
        var id = submitted.GetProperty("id").GetString()!;

        server.Services.GetRequiredService<OutageJobStore>().Down = true;
        using var response = await server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = await TestServer.ReadJsonAsync(response);
        Assert.Equal("https://sluice.dev/problems/unavailable", problem.GetProperty("type").GetString());
        Assert.Contains("store", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthReady_StoreDown_Answers503UntilItIsBackWhileLiveStays200()
    {
        await using var server = await StartAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();

        store.Down = true;
        var down = await PollReadyAsync(server, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("unhealthy", down.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);

        store.Down = false;
        var up = await PollReadyAsync(server, HttpStatusCode.OK);
        Assert.Equal("healthy", up.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthReady_ProbedRepeatedlyWhileStoreDown_StoreAskedAboutOncePerTwoSeconds()
    {
        // AddCheck<StoreHealthCheck> built a new check for every probe, so its cached answer was never reused: each of a
        // load balancer's and Kubernetes' probes cost a store query (or waited out the timeout on a hung store).
        await using var server = await StartAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        store.Down = true;
        // The healthy answer from the start is reused for up to 2 s: wait for the outage's.
        await PollReadyAsync(server, HttpStatusCode.ServiceUnavailable);
        var before = store.HealthLookups;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            using var r = await server.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }

        var asked = store.HealthLookups - before;
        // One lookup, and one more per 2 s the ten probes took (a slow machine), not one per probe.
        Assert.True(asked <= 2 + (int)(sw.Elapsed.TotalSeconds / 2), $"{asked} store lookups for 10 probes in {sw.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Polls /health/ready until it answers <paramref name="expected"/> (answers are cached for 2 s).</summary>
    private static async Task<System.Text.Json.JsonElement> PollReadyAsync(TestServer server, HttpStatusCode expected)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var r = await server.Client.GetAsync("/health/ready");
            if (r.StatusCode == expected || DateTime.UtcNow > until)
            {
                Assert.Equal(expected, r.StatusCode);
                return await TestServer.ReadJsonAsync(r);
            }

            await Task.Delay(100);
        }
    }
}
