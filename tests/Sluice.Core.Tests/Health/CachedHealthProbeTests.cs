using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Core.Health;
using Sluice.Testing;

namespace Sluice.Core.Tests.Health;

public sealed class CachedHealthProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(800);
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    /// <summary>Longest real wait for an answer the manual clock has already decided.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ManualTimeProvider _time = new();
    private readonly List<CancellationToken> _probes = [];
    private readonly List<Exception> _failures = [];
    private TaskCompletionSource<HealthCheckResult>? _pending;

    [Fact]
    public async Task CheckAsync_ConcurrentCallers_ShareOneProbe()
    {
        var probe = Create();
        _pending = new TaskCompletionSource<HealthCheckResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = probe.CheckAsync("state");
        var second = probe.CheckAsync("state");
        var third = probe.CheckAsync("state");
        _pending.SetResult(HealthCheckResult.Healthy("fine"));

        Assert.Single(_probes);
        foreach (var answer in new[] { first, second, third })
        {
            Assert.Equal("fine", (await answer.WaitAsync(Patience)).Description);
        }
    }

    [Fact]
    public async Task CheckAsync_ProbeInFlightForAnotherState_SharesIt()
    {
        var probe = Create();
        _pending = new TaskCompletionSource<HealthCheckResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = probe.CheckAsync("first failure");
        var second = probe.CheckAsync("second failure");
        _pending.SetResult(HealthCheckResult.Healthy("fine"));

        Assert.Single(_probes);
        Assert.Same(first, second);
        Assert.Equal(HealthStatus.Healthy, (await second.WaitAsync(Patience)).Status);
    }

    [Fact]
    public async Task CheckAsync_WithinCacheWindow_ReusesTheAnswer()
    {
        var probe = Create();
        var state = "state";
        await probe.CheckAsync(state).WaitAsync(Patience);

        _time.Advance(CacheFor);
        var answer = await probe.CheckAsync(state).WaitAsync(Patience);

        Assert.Single(_probes);
        Assert.Equal(HealthStatus.Healthy, answer.Status);
    }

    [Fact]
    public async Task CheckAsync_AfterCacheWindow_ProbesAgain()
    {
        var probe = Create();
        var state = "state";
        await probe.CheckAsync(state).WaitAsync(Patience);

        _time.Advance(CacheFor + TimeSpan.FromMilliseconds(1));
        await probe.CheckAsync(state).WaitAsync(Patience);

        Assert.Equal(2, _probes.Count);
    }

    [Fact]
    public async Task CheckAsync_NewerStateReadingTheSame_ProbesAgainWithinWindow()
    {
        var probe = Create();
        await probe.CheckAsync(new string('x', 3)).WaitAsync(Patience);

        // Another failure with the same words: its own probe, not the earlier answer.
        await probe.CheckAsync(new string('x', 3)).WaitAsync(Patience);

        Assert.Equal(2, _probes.Count);
    }

    [Fact]
    public async Task CheckAsync_ProbeOutlastsTimeout_UnhealthyWithTokenCancelled()
    {
        var probe = Create();
        _pending = new TaskCompletionSource<HealthCheckResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = probe.CheckAsync("state");

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(answer.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await answer.WaitAsync(Patience);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.IsType<TimeoutException>(Assert.Single(_failures));
        Assert.True(_probes[0].IsCancellationRequested);
    }

    [Fact]
    public async Task CheckAsync_ProbeThrows_FailedAnswersAndIsReusedWithinWindow()
    {
        var probe = new CachedHealthProbe<string>(
            (_, ct) =>
            {
                _probes.Add(ct);
                return Task.FromException<HealthCheckResult>(new InvalidOperationException("down"));
            },
            Failed, Timeout, CacheFor, _time);

        var first = await probe.CheckAsync("state").WaitAsync(Patience);
        var second = await probe.CheckAsync("state").WaitAsync(Patience);

        Assert.Equal(HealthStatus.Unhealthy, first.Status);
        Assert.Equal("InvalidOperationException", first.Description);
        Assert.Same(first.Description, second.Description);
        Assert.Single(_probes);
    }

    private CachedHealthProbe<string> Create() => new(
        (_, ct) =>
        {
            _probes.Add(ct);
            return _pending?.Task ?? Task.FromResult(HealthCheckResult.Healthy("fine"));
        },
        Failed, Timeout, CacheFor, _time);

    private HealthCheckResult Failed(string state, Exception ex)
    {
        _failures.Add(ex);
        return HealthCheckResult.Unhealthy(ex.GetType().Name);
    }
}
