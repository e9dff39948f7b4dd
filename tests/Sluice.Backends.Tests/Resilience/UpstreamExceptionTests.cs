using Polly.CircuitBreaker;
using Sluice.Backends.Resilience;
using Sluice.Core.Jobs;

namespace Sluice.Backends.Tests.Resilience;

public sealed class UpstreamExceptionTests
{
    [Theory]
    [InlineData(400, JobErrorCodes.UpstreamRefused)]
    [InlineData(413, JobErrorCodes.UpstreamRefused)]
    [InlineData(422, JobErrorCodes.UpstreamRefused)]
    [InlineData(429, JobErrorCodes.UpstreamUnavailable)]
    [InlineData(503, JobErrorCodes.UpstreamUnavailable)]
    [InlineData(401, JobErrorCodes.UpstreamError)]
    [InlineData(500, JobErrorCodes.UpstreamError)]
    [InlineData(502, JobErrorCodes.UpstreamError)]
    public void Code_AnsweredStatus_ClassifiedByTheStatusNotTheMessage(int status, string expected) =>
        // The message quotes another status: the code follows the status the upstream answered, whatever the words.
        Assert.Equal(expected, new UpstreamException("backend 'up': upstream answered 503: {\"error\":\"upstream answered 400, refusing the request as invalid\"}", status, false, true).Code);

    [Fact]
    public void Code_OpenCircuitRefusal_CircuitOpen() =>
        Assert.Equal(JobErrorCodes.CircuitOpen, new UpstreamException("backend 'up': refused", null, false, true, TimeSpan.FromSeconds(3), new BrokenCircuitException()).Code);

    [Fact]
    public void Code_NamedByTheThrower_KeptOverTheStatus() =>
        Assert.Equal(JobErrorCodes.UpstreamTimeout, new UpstreamException("backend 'up': no answer", null, true, true, code: JobErrorCodes.UpstreamTimeout).Code);

    [Fact]
    public void Code_NoStatusNoCode_UpstreamError() =>
        Assert.Equal(JobErrorCodes.UpstreamError, new UpstreamException("backend 'up': the stream ended before [DONE]").Code);

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
}
