using Sluice.Backends.Resilience;

namespace Sluice.Backends.Tests.Resilience;

public sealed class UpstreamExceptionTests
{
    [Theory]
    [InlineData("backend 'up': upstream answered 400 Bad Request, refusing the request as invalid: prompt too long")]
    [InlineData("backend 'up': upstream answered 422 Unprocessable Entity, refusing the request as invalid")]
    public void IsRefusedAsInvalid_MarkAfterTheQuotedStatus_True(string error) =>
        Assert.True(UpstreamException.IsRefusedAsInvalid(error));

    [Theory]
    [InlineData(null)]
    [InlineData("backend 'up': upstream answered 500 Internal Server Error: boom")]
    // Another proxy's 502 quoting the 400 it met further up: the mark is in the upstream's answer, not Sluice's.
    [InlineData("backend 'up': upstream answered 502 Bad Gateway: {\"error\":\"backend 'far': upstream answered 400 Bad Request, refusing the request as invalid: x\"}")]
    [InlineData("model failed: refusing the request as invalid")]
    public void IsRefusedAsInvalid_NoMarkOrOnlyInsideTheUpstreamsAnswer_False(string? error) =>
        Assert.False(UpstreamException.IsRefusedAsInvalid(error));

    [Fact]
    public void IsCircuitOpen_RefusalByTheOpenCircuit_True() =>
        Assert.True(UpstreamException.IsCircuitOpen("backend 'up': circuit open after repeated upstream failures (the last: upstream answered 500 Internal Server Error: boom); next trial in about 3 s"));

    [Theory]
    [InlineData(null)]
    [InlineData("backend 'up': upstream answered 500 Internal Server Error: boom")]
    // An upstream (another Sluice) whose own answer quotes its open circuit: this call reached it, so it is a 502.
    [InlineData("backend 'up': upstream answered 503 Service Unavailable: backend 'far': circuit open after repeated upstream failures")]
    [InlineData("circuit open after repeated upstream failures")]
    public void IsCircuitOpen_NoMarkRightAfterTheBackendsName_False(string? error) =>
        Assert.False(UpstreamException.IsCircuitOpen(error));

    [Fact]
    public void RetryAfterOf_MarkAfterTheQuotedStatus_TheWait() =>
        Assert.Equal(TimeSpan.FromSeconds(30), UpstreamException.RetryAfterOf("backend 'up': upstream answered 429 Too Many Requests (Retry-After 30 s): slow down"));

    [Theory]
    [InlineData(null)]
    [InlineData("backend 'up': upstream answered 429 Too Many Requests: slow down")]
    // Another proxy's answer quoting a wait it met further up: not the wait this upstream asked for.
    [InlineData("backend 'up': upstream answered 502 Bad Gateway: backend 'far': upstream answered 429 Too Many Requests (Retry-After 30 s)")]
    public void RetryAfterOf_NoMarkOrOnlyInsideTheUpstreamsAnswer_Null(string? error) =>
        Assert.Null(UpstreamException.RetryAfterOf(error));
}
