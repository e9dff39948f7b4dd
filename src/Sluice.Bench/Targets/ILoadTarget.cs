using Sluice.Bench.Load;

namespace Sluice.Bench.Targets;

/// <summary>Something the bench sends requests to. One instance is shared by all workers and must be thread-safe.</summary>
internal interface ILoadTarget : IAsyncDisposable
{
    /// <summary>Description for reports ("POST http://127.0.0.1:8080/v1/jobs (echo, wait)").</summary>
    string Description { get; }

    /// <summary>
    /// Sends one request and returns how it ended. Cancellation of <paramref name="cancellationToken"/> means the
    /// deadline passed or the run stopped; the runner tells them apart. Other failures should be returned, not thrown.
    /// </summary>
    ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken);
}
