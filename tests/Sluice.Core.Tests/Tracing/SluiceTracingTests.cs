using System.Diagnostics;
using Sluice.Core.Tracing;

namespace Sluice.Core.Tests.Tracing;

public sealed class SluiceTracingTests
{
    [Fact]
    public void MakeCurrent_NullSpanWithAnotherCurrent_NoneCurrentUntilRestored()
    {
        using var request = new Activity("request").Start();

        var outer = SluiceTracing.MakeCurrent(null);
        // A measurement here must not take the request's trace as its exemplar.
        Assert.Null(Activity.Current);
        SluiceTracing.Restore(null, outer);

        Assert.Same(request, Activity.Current);
    }

    [Fact]
    public void MakeCurrent_Span_CurrentUntilRestored()
    {
        // Started (a span without an id cannot be current), then replaced by the request's.
        using var run = new Activity("run").Start();
        using var request = new Activity("request").Start();

        var outer = SluiceTracing.MakeCurrent(run);
        Assert.Same(run, Activity.Current);
        SluiceTracing.Restore(run, outer);

        Assert.Same(request, Activity.Current);
    }

    [Fact]
    public void MakeCurrent_SpanAlreadyCurrent_LeavesItCurrent()
    {
        using var run = new Activity("run").Start();

        var outer = SluiceTracing.MakeCurrent(run);
        Assert.Same(run, outer);
        SluiceTracing.Restore(run, outer);

        Assert.Same(run, Activity.Current);
    }
}
