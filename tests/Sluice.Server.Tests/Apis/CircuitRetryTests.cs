using Sluice.Core.Jobs;
using Sluice.Server.Apis;

namespace Sluice.Server.Tests.Apis;

public sealed class CircuitRetryTests
{
    private const string Refusal = "backend 'remote': circuit open after repeated upstream failures (the last: upstream answered 500); next trial in about 30 s";

    [Fact]
    public void HeldBackBy_RetryHeldBackByTheOpenCircuit_IsTheRefusal() =>
        Assert.Equal(Refusal, CircuitRetry.HeldBackBy(Retrying(Refusal, 30_100)));

    [Fact]
    public void HeldBackBy_RetryDueWithinTheSyncWaitLimit_IsNull() =>
        // Due almost at once (the cooldown is nearly over): it may be the trial call, worth waiting for.
        Assert.Null(CircuitRetry.HeldBackBy(Retrying(Refusal, 400)));

    [Fact]
    public void HeldBackBy_RetryOfAnUpstreamFailure_IsNull() =>
        Assert.Null(CircuitRetry.HeldBackBy(Retrying("backend 'remote': upstream answered 503 Service Unavailable", 30_000)));

    [Fact]
    public void HeldBackBy_RetryHeldBackByTheUpstreamsRetryAfter_IsTheError()
    {
        // An upstream's 429 with Retry-After: 3600 holds the retry back an hour (held_back), which no client waits for.
        var e = new JobEvent("j", 3, JobEventTypes.Retrying,
            """{"attempt":1,"error":"backend 'remote': upstream answered 429 Too Many Requests: slow down","delay_ms":3600000,"held_back":true}""", DateTimeOffset.UnixEpoch);

        Assert.Equal("backend 'remote': upstream answered 429 Too Many Requests: slow down", CircuitRetry.HeldBackBy(e, out var delay));
        Assert.Equal(TimeSpan.FromHours(1), delay);
    }

    [Fact]
    public void HeldBackBy_NotARetry_IsNull() =>
        Assert.Null(CircuitRetry.HeldBackBy(new JobEvent("j", 2, JobEventTypes.Failed, $$"""{"status":"failed","error":"{{Refusal}}"}""", DateTimeOffset.UnixEpoch)));

    private static JobEvent Retrying(string error, long delayMs) =>
        new("j", 3, JobEventTypes.Retrying, $$"""{"attempt":1,"error":"{{error}}","delay_ms":{{delayMs}}}""", DateTimeOffset.UnixEpoch);
}
