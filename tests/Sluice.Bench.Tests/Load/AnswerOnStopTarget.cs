using Sluice.Bench.Load;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Load;

/// <summary>
/// An in-process target whose requests wait until the run stops them and then return the server's answer
/// <paramref name="status"/>: a failure the server gave as Ctrl+C came, not one that Ctrl+C caused.
/// </summary>
internal sealed class AnswerOnStopTarget(int status) : ILoadTarget
{
    private long _calls;

    public string Description => "answer-on-stop";

    public long Calls => Interlocked.Read(ref _calls);

    public async ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        return RequestOutcome.FromHttpStatus(status);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
