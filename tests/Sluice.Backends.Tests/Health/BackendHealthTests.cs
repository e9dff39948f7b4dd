using Sluice.Backends.Health;
using Sluice.Testing;

namespace Sluice.Backends.Tests.Health;

public sealed class BackendHealthTests
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(15);

    [Fact]
    public void State_ProbeFailedSinceCircuitOpenedAndCooldownOver_UnhealthyNotAvailable()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(10));
        health.Record(false, "cannot connect", time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(6));

        // The upstream is known to be down: a task's default model or a fallback must not pick it for the trial.
        Assert.Equal("unhealthy", health.State);
        Assert.False(health.IsAvailable);
        // A request naming it still gets to run the trial call.
        Assert.True(health.AwaitsTrial);
    }

    [Fact]
    public void State_ProbeFailedBeforeCircuitOpenedAndCooldownOver_HalfOpenAvailable()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.Record(false, "cannot connect", time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(1));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(16));

        Assert.Equal("half_open", health.State);
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void State_ProbeFailedSinceCircuitOpenedCooldownNotOver_CircuitOpen()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(5));
        health.Record(false, "cannot connect", time.GetUtcNow());

        Assert.Equal("circuit_open", health.State);
        Assert.False(health.IsAvailable);
    }

    [Fact]
    public void State_ProbeSucceededSinceCircuitOpenedAndCooldownOver_HalfOpen()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(10));
        health.Record(true, null, time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal("half_open", health.State);
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void ReleaseTrial_ClaimGivenBack_NextRequestMayClaimAtOnce()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.True(health.TryClaimTrial(out var claim));
        Assert.False(health.TryClaimTrial());

        health.ReleaseTrial(claim);

        Assert.True(health.TryClaimTrial());
    }

    [Fact]
    public void ReleaseTrial_ClaimLapsedAndTakenByAnother_LeavesTheOtherClaim()
    {
        var time = new ManualTimeProvider();
        var health = new BackendHealth("remote", time, TimeSpan.FromSeconds(60));
        health.OnOpened(Cooldown);
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.True(health.TryClaimTrial(out var first));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(health.TryClaimTrial(out _));

        health.ReleaseTrial(first);

        // At most one request holds the trial: the late release of a lapsed claim frees nothing.
        Assert.False(health.TryClaimTrial());
    }
}
