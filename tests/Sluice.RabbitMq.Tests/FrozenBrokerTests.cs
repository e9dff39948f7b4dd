using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.RabbitMq.Tests;

/// <summary>
/// The transport on a frozen RabbitMQ (SIGSTOP of its Erlang VM), as a hung node or a partition without a reset
/// looks: the connection stays open and nothing is answered until the heartbeat gives up, 30 to 40 s later. Each test
/// resumes the broker before it ends, whatever happens.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class FrozenBrokerTests(RabbitMqServers servers) : IAsyncLifetime
{
    private readonly string _prefix = "f" + Guid.NewGuid().ToString("N")[..10];
    private string _store = "";

    public async Task InitializeAsync() => _store = await servers.NewDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task StartAsync_EventHubOnAFrozenBroker_ReturnsWithinTheConfirmTimeoutAndSubscribesOnceTheBrokerResumes()
    {
        // The hub's channel opens and declares waited out the client's 20 s continuation timeout each, then failed the
        // start with 'A task was canceled.'.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", s => s.AddSingleton<ILoggerProvider>(logs));
        var hub = ActivatorUtilities.CreateInstance<RabbitMqJobEventHub>(gateway.Services);
        try
        {
            var beam = BeamPid();
            Signal(beam, "STOP");
            try
            {
                var frozen = Stopwatch.StartNew();
                var start = hub.StartAsync(CancellationToken.None);
                // The 5 s confirm timeout and some slack for a loaded machine.
                await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(12)));
                Assert.True(start.IsCompletedSuccessfully, $"the start {start.Status} {frozen.Elapsed.TotalSeconds:F1} s into the freeze: {start.Exception?.GetBaseException().Message}");
                Assert.Contains(logs.Entries, e => e.Message.Contains("event hub", StringComparison.Ordinal) && e.Message.Contains("did not answer", StringComparison.Ordinal));
            }
            finally
            {
                Signal(beam, "CONT");
            }

            // Once the broker answers, the hub subscribes by itself (an event published before that would not reach it,
            // as for a process that starts later), and another process's event reaches it.
            await UntilAsync(() => logs.Entries.Exists(e => e.Message.Contains("event hub subscribed", StringComparison.Ordinal)), () => "the hub did not subscribe after the resume: " + string.Join(" | ", logs.Entries));
            var job = new JobRecord { Id = JobIds.New(DateTimeOffset.UtcNow), Model = "sleep-batch", InputJson = "{}", Owner = "o", CreatedAt = DateTimeOffset.UtcNow };
            await gateway.Store.CreateAsync(job, CancellationToken.None);
            await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker");
            worker.Hub.Append(job.Id, "queued", "{}");
            await UntilAsync(() => hub.NextId(job.Id) == 2, () => $"the hub started on the frozen broker never received the event (the gateway's own hub is at {gateway.Hub.NextId(job.Id) - 1}): " + string.Join(" | ", logs.Entries));
        }
        finally
        {
            await hub.StopAsync(CancellationToken.None);
            await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetDepth_BrokerFrozen_PollGivesUpWithinTheConfirmTimeoutAndFollowsTheBrokerAgainOnResume()
    {
        // The depth poll's passive declares (and its channel open after one failed) waited out the client's 20 s
        // continuation timeout each, saying nothing; a declare that timed out left its channel open on the broker.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", s => s.AddSingleton<ILoggerProvider>(logs),
            ("Sluice:Queue:DepthPollInterval", "00:00:00.100"));
        Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(await CreateAsync(gateway, 1), CancellationToken.None));
        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(0, 1, 0), () => $"depth {gateway.Queue.GetDepth("sleep-batch")}");

        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            while (!logs.Entries.Exists(e => e.Message.Contains("queue depths", StringComparison.Ordinal) && e.Message.Contains("did not answer", StringComparison.Ordinal)))
            {
                // The 5 s confirm timeout and some slack for a loaded machine.
                Assert.True(frozen.Elapsed < TimeSpan.FromSeconds(12), "the depth poll did not give up on the frozen broker: " + string.Join(" | ", logs.Entries));
                await Task.Delay(50);
            }

            // The last depths stand meanwhile.
            Assert.Equal(new QueueDepth(0, 1, 0), gateway.Queue.GetDepth("sleep-batch"));
        }
        finally
        {
            Signal(beam, "CONT");
        }

        var second = await CreateAsync(gateway, 2);
        await UntilAsync(async () => await gateway.Queue.EnqueueAsync(second, CancellationToken.None) == EnqueueResult.Accepted, () => "no submit accepted after the resume");
        await UntilAsync(() => gateway.Queue.GetDepth("sleep-batch") == new QueueDepth(0, 2, 0), () => $"depth {gateway.Queue.GetDepth("sleep-batch")} after the resume: " + string.Join(" | ", logs.Entries));
        Assert.True(logs.Entries.Exists(e => e.Message.Contains("queue depths", StringComparison.Ordinal) && e.Message.Contains("depths again", StringComparison.Ordinal)), string.Join(" | ", logs.Entries));
        Assert.Single(logs.Entries, e => e.Message.Contains("queue depths", StringComparison.Ordinal) && e.Message.Contains("did not answer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EnqueueAsync_ManySubmitsOnAFrozenBroker_FirstFailureLoggedThenOneSummaryAndOneLineWhenConfirmsWorkAgain()
    {
        // Every refused submit logged its own 'Could not publish job' warning: under load, a line per request.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", s => s.AddSingleton<ILoggerProvider>(logs));
        // The four publisher channels open, so every frozen submit waits for its confirm.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(EnqueueResult.Accepted, await gateway.Queue.EnqueueAsync(await CreateAsync(gateway, i), CancellationToken.None));
        }

        var refused = new QueuedJob[20];
        for (var i = 0; i < refused.Length; i++)
        {
            refused[i] = await CreateAsync(gateway, 10 + i);
        }

        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var wave = new Task<EnqueueResult>[refused.Length];
            for (var i = 0; i < wave.Length; i++)
            {
                wave[i] = gateway.Queue.EnqueueAsync(refused[i], CancellationToken.None).AsTask();
            }

            foreach (var result in await Task.WhenAll(wave))
            {
                Assert.Equal(EnqueueResult.Unavailable, result);
            }
        }
        finally
        {
            Signal(beam, "CONT");
        }

        var after = await CreateAsync(gateway, 99);
        await UntilAsync(async () => await gateway.Queue.EnqueueAsync(after, CancellationToken.None) == EnqueueResult.Accepted, () => "no submit accepted after the resume");
        await UntilAsync(() => logs.Entries.Exists(e => e.Message.Contains("confirms publishes again", StringComparison.Ordinal)), () => "no line when confirms worked again: " + string.Join(" | ", logs.Entries));

        var lines = logs.Entries.FindAll(e => e.Message.Contains("Could not publish", StringComparison.Ordinal) || e.Message.Contains("publishes failed", StringComparison.Ordinal) || e.Message.Contains("confirms publishes again", StringComparison.Ordinal));
        var all = string.Join(" | ", lines);
        Assert.True(lines.Count <= 3, "one line per refused submit: " + all);
        Assert.Contains("Could not publish job", lines[0].Message, StringComparison.Ordinal);
        // Every failed publish counted in the last line, logged or not (a submit right after the resume may fail too).
        var counted = System.Text.RegularExpressions.Regex.Match(lines[^1].Message, "after ([0-9]+) failed publishes");
        Assert.True(counted.Success && int.Parse(counted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= refused.Length, all);
    }

    [Fact]
    public async Task GetAsync_FirstConnectionOnAFrozenBroker_SaysTheBrokerDidNotAnswerAndConnectsOnceItResumes()
    {
        // The first connection waited out the client's own timeouts on a frozen broker (its check channel 20 s, then the
        // start failed with 'A task was canceled.'), saying nothing meanwhile.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var options = new RabbitMqOptions { Url = servers.QueueUrl, ConfirmTimeout = TimeSpan.FromSeconds(2), StartTimeout = TimeSpan.FromSeconds(60) };
        await using var connection = new RabbitMqConnection(Options.Create(options), factory.CreateLogger<RabbitMqConnection>());
        Task<RabbitMQ.Client.IConnection> connecting;
        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            connecting = connection.GetAsync(CancellationToken.None).AsTask();
            while (!logs.Entries.Exists(e => e.Message.Contains("did not answer within 2 s", StringComparison.Ordinal)))
            {
                // The 2 s bound and some slack for a loaded machine; the start waits on (StartTimeout is 60 s).
                Assert.True(frozen.Elapsed < TimeSpan.FromSeconds(10), $"nothing said {frozen.Elapsed.TotalSeconds:F1} s into the freeze ({connecting.Status}): " + string.Join(" | ", logs.Entries));
                Assert.False(connecting.IsCompleted, $"the start ended on the frozen broker: {connecting.Exception?.GetBaseException().Message}");
                await Task.Delay(50);
            }
        }
        finally
        {
            Signal(beam, "CONT");
        }

        var conn = await connecting.WaitAsync(Brokers.DeliveryWait);
        Assert.True(conn.IsOpen);
        Assert.Contains(logs.Entries, e => e.Message.Contains("Connected to RabbitMQ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_BrokerFrozenPastTheStartTimeout_FailsSayingTheBrokerDidNotAnswer()
    {
        // Failed after 20 s with 'A task was canceled.', naming neither the broker nor the wait.
        var options = new RabbitMqOptions { Url = servers.QueueUrl, ConfirmTimeout = TimeSpan.FromSeconds(2), StartTimeout = TimeSpan.FromSeconds(3) };
        await using var connection = new RabbitMqConnection(Options.Create(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<RabbitMqConnection>.Instance);
        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            var connecting = connection.GetAsync(CancellationToken.None).AsTask();
            await Task.WhenAny(connecting, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(connecting.IsFaulted, $"the start {connecting.Status} {frozen.Elapsed.TotalSeconds:F1} s into the freeze");
            var error = connecting.Exception!.InnerException!;
            Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("did not answer within 2 s", error.Message, StringComparison.Ordinal);
            Assert.Contains("after waiting 3 s", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Signal(beam, "CONT");
        }
    }

    [Fact]
    public async Task DeclareAsync_BrokerFrozen_FailsWithinTheConfirmTimeoutNamingTheModelAndDeclaresOnceItResumes()
    {
        // A model's declares at load waited out the client's 20 s continuation timeout, then failed the start with
        // 'A task was canceled.' or a bare timeout.
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", ("Sluice:Queue:ConfirmTimeout", "00:00:02"));
        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            var declare = gateway.Queue.DeclareAsync("other-model", 100, CancellationToken.None).AsTask();
            await Task.WhenAny(declare, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(declare.IsFaulted, $"the declare {declare.Status} {frozen.Elapsed.TotalSeconds:F1} s into the freeze");
            var error = declare.Exception!.InnerException!;
            Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("did not answer within 2 s", error.Message, StringComparison.Ordinal);
            Assert.Contains("other-model", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Signal(beam, "CONT");
        }

        await UntilAsync(
            async () =>
            {
                try
                {
                    await gateway.Queue.DeclareAsync("other-model", 100, CancellationToken.None);
                    return true;
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            },
            () => "the model's queues were not declared after the resume");
    }

    [Fact]
    public async Task GetReader_ConsumerStartOnAFrozenBroker_SaysTheBrokerDidNotAnswerAndConsumesOnceItResumes()
    {
        // A worker's consumer start waited out the client's 20 s continuation timeout per try, saying nothing meanwhile.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway");
        await using var worker = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "worker", s => s.AddSingleton<ILoggerProvider>(logs), ("Sluice:Queue:ConfirmTimeout", "00:00:02"));
        IJobQueueReader reader;
        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            reader = worker.Queue.GetReader("sleep-batch");
            while (!logs.Entries.Exists(e => e.Message.Contains("consuming model sleep-batch", StringComparison.Ordinal) && e.Message.Contains("did not answer within 2 s", StringComparison.Ordinal)))
            {
                Assert.True(frozen.Elapsed < TimeSpan.FromSeconds(10), "nothing said of the consumer start on the frozen broker: " + string.Join(" | ", logs.Entries));
                await Task.Delay(50);
            }
        }
        finally
        {
            Signal(beam, "CONT");
        }

        var job = await CreateAsync(gateway, 1);
        await UntilAsync(async () => await gateway.Queue.EnqueueAsync(job, CancellationToken.None) == EnqueueResult.Accepted, () => "no submit accepted after the resume");
        using var wait = new CancellationTokenSource(Brokers.DeliveryWait);
        Assert.True(await reader.WaitToReadAsync(wait.Token));
        Assert.True(reader.TryRead(out var read));
        Assert.Equal(job.Id, read.Id);
    }

    [Fact]
    public async Task StartAsync_DeadLetterReconcilerOnAFrozenBroker_ReturnsWithinTheConfirmTimeoutAndConsumesOnceTheBrokerResumes()
    {
        // The reconciler's channel open waited out the client's 20 s continuation timeout, then failed the host start.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var gateway = await Node.StartAsync(servers.QueueUrl, _store, _prefix, "gateway", s => s.AddSingleton<ILoggerProvider>(logs), ("Sluice:Queue:ConfirmTimeout", "00:00:02"));
        var reconciler = ActivatorUtilities.CreateInstance<RabbitMqDeadLetterReconciler>(gateway.Services);
        try
        {
            var beam = BeamPid();
            Signal(beam, "STOP");
            try
            {
                var frozen = Stopwatch.StartNew();
                var start = reconciler.StartAsync(CancellationToken.None);
                await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(10)));
                Assert.True(start.IsCompletedSuccessfully, $"the start {start.Status} {frozen.Elapsed.TotalSeconds:F1} s into the freeze: {start.Exception?.GetBaseException().Message}");
                Assert.Contains(logs.Entries, e => e.Message.Contains("dead-letter reconciler", StringComparison.Ordinal) && e.Message.Contains("did not answer within 2 s", StringComparison.Ordinal));
            }
            finally
            {
                Signal(beam, "CONT");
            }

            await UntilAsync(() => logs.Entries.Exists(e => e.Message.Contains("dead-letter reconciler consumes", StringComparison.Ordinal)), () => "the reconciler did not consume after the resume: " + string.Join(" | ", logs.Entries));
            // The node's own reconciler and this one.
            var conn = await gateway.Services.GetRequiredService<RabbitMqConnection>().GetAsync(CancellationToken.None);
            await using var ch = await conn.CreateChannelAsync();
            Assert.Equal(2u, await ch.ConsumerCountAsync(gateway.Services.GetRequiredService<RabbitMqTopology>().ReconcileQueue));
        }
        finally
        {
            await reconciler.StopAsync(CancellationToken.None);
            await reconciler.DisposeAsync();
        }
    }

    private static async Task<QueuedJob> CreateAsync(Node node, int i)
    {
        var now = DateTimeOffset.UtcNow;
        var job = new QueuedJob
        {
            Id = JobIds.New(now) + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Model = "sleep-batch",
            Priority = JobPriority.Normal,
            InputJson = "{}",
            EnqueuedAt = now,
            AcceptedAt = now,
            MaxAttempts = 4,
            Owner = "key1",
        };
        await node.Store.CreateAsync(new JobRecord { Id = job.Id, Model = job.Model, InputJson = job.InputJson, Owner = job.Owner, CreatedAt = now }, CancellationToken.None);
        return job;
    }

    private int BeamPid() => int.Parse(File.ReadAllText(Path.Combine(servers.RabbitDir, "rabbitmq.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static Task UntilAsync(Func<bool> condition, Func<string> describe) => UntilAsync(() => Task.FromResult(condition()), describe);

    /// <summary>Polls <paramref name="condition"/> for up to <see cref="Brokers.DeliveryWait"/>; fails with <paramref name="describe"/> otherwise.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var until = DateTime.UtcNow + Brokers.DeliveryWait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, describe());
            await Task.Delay(50);
        }
    }
}
