using Sluice.Bench.Load;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Load;

/// <summary>An in-process target that waits a fixed time and answers by sequence: every Nth rejected, every Mth failed.</summary>
internal sealed class DelayTarget : ILoadTarget
{
    private readonly TimeSpan _delay;
    private readonly int _rejectEvery;
    private readonly int _failEvery;
    private int _inFlight;
    private long _calls;

    public DelayTarget(TimeSpan delay, int rejectEvery = 0, int failEvery = 0)
    {
        _delay = delay;
        _rejectEvery = rejectEvery;
        _failEvery = failEvery;
    }

    public string Description => "delay";

    public long Calls => Interlocked.Read(ref _calls);

    public int MaxInFlight { get; private set; }

    public async ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        int now = Interlocked.Increment(ref _inFlight);
        lock (this)
        {
            MaxInFlight = Math.Max(MaxInFlight, now);
        }

        try
        {
            if (_delay > TimeSpan.Zero)
            {
                await Task.Delay(_delay, cancellationToken);
            }

            long seq = context.Sequence + 1;
            if (_rejectEvery > 0 && seq % _rejectEvery == 0)
            {
                context.RetryAfterSeen = true;
                return new RequestOutcome(OutcomeKind.Rejected, 429);
            }

            if (_failEvery > 0 && seq % _failEvery == 0)
            {
                return new RequestOutcome(OutcomeKind.Failed, 500);
            }

            return new RequestOutcome(OutcomeKind.Succeeded, 200);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
