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
}
