using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sluice.Server.Http;

namespace Sluice.Server.Hosting;

/// <summary>
/// Not ready from the moment a stop begins, then holds the stop for <see cref="HttpOptions.ShutdownDelaySeconds"/>
/// before any listener closes: a load balancer probing (even over a kept-alive connection) sees 503 and takes the
/// node out of rotation while requests are still served. Liveness is untouched, so the node is not restarted.
/// Open event streams and <c>Prefer: wait</c> requests watch <see cref="ListenersClosing"/>, not the stop signal, so
/// they are served through the delay too: ended at SIGTERM, a client reconnecting with <c>Last-Event-ID</c> would land
/// on this node again (still in rotation) and have its stream ended at once, over and over, until the delay ran out.
/// </summary>
internal sealed class ShutdownReadiness(IHostApplicationLifetime lifetime, IOptions<HttpOptions> options, IOptions<HostOptions> host, TimeProvider time)
    : IHealthCheck, IHostedLifecycleService, IDisposable
{
    /// <summary>
    /// The most <see cref="AnswerMargin"/> is: time to write an answer before the host aborts the connections still
    /// open (a client would see a reset, not an answer).
    /// </summary>
    public static readonly TimeSpan MaxAnswerMargin = TimeSpan.FromSeconds(1);

    private static readonly Task<HealthCheckResult> Stopping = Task.FromResult(HealthCheckResult.Unhealthy("the server is stopping"));
    private static readonly Task<HealthCheckResult> Running = Task.FromResult(HealthCheckResult.Healthy("the server is running"));

    private readonly CancellationTokenSource _listenersClosing = new();
    private readonly CancellationTokenSource _cutNear = new();
    private ITimer? _cutNearTimer;
    private volatile bool _stopping;

    /// <summary>Cancelled when the shutdown delay ends (at once without one): what long-lived responses end on.</summary>
    public CancellationToken ListenersClosing => _listenersClosing.Token;

    /// <summary>
    /// How long before the host's <c>ShutdownTimeout</c> runs out <see cref="CutNear"/> fires: <see cref="MaxAnswerMargin"/>,
    /// or a quarter of a shorter timeout.
    /// </summary>
    public TimeSpan AnswerMargin => AnswerMarginFor(host.Value.ShutdownTimeout);

    /// <summary>
    /// Cancelled <see cref="AnswerMargin"/> before the host's <c>ShutdownTimeout</c> (counted from the start of the stop)
    /// runs out: a request still working inside the drain (a synchronous inference, an OpenAI call) answers then, with
    /// a 503 the client can retry elsewhere, instead of being cut off with a connection reset.
    /// </summary>
    public CancellationToken CutNear => _cutNear.Token;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        // Both signals: SIGTERM fires ApplicationStopping before the host stops; a direct StopAsync reaches StoppingAsync first.
        _stopping || lifetime.ApplicationStopping.IsCancellationRequested ? Stopping : Running;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        // The host's ShutdownTimeout starts with its stop, which calls this first; the host's own token is the cut itself.
        if (CutNearAfter(host.Value.ShutdownTimeout) is { } cutIn)
        {
            _cutNearTimer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), _cutNear, cutIn, Timeout.InfiniteTimeSpan);
        }

        var delay = options.Value.ShutdownDelaySeconds;
        if (delay > 0)
        {
            try
            {
                // The host's ShutdownTimeout cancels the token: then the drain goes on without the rest of the delay.
                await Task.Delay(TimeSpan.FromSeconds(delay), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _listenersClosing.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The margin for a <c>ShutdownTimeout</c>: a fixed second fired at once for a timeout of a second or less, answering
    /// 503 to requests that would have finished inside it; a quarter of such a timeout leaves them three quarters.
    /// </summary>
    internal static TimeSpan AnswerMarginFor(TimeSpan shutdownTimeout)
    {
        if (shutdownTimeout <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var quarter = shutdownTimeout / 4;
        return quarter < MaxAnswerMargin ? quarter : MaxAnswerMargin;
    }

    /// <summary>When, counted from the start of the stop, <see cref="CutNear"/> fires; null for an infinite timeout (no cut).</summary>
    internal static TimeSpan? CutNearAfter(TimeSpan shutdownTimeout) =>
        shutdownTimeout == Timeout.InfiniteTimeSpan ? null
        : shutdownTimeout <= TimeSpan.Zero ? TimeSpan.Zero
        : shutdownTimeout - AnswerMarginFor(shutdownTimeout);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The token sources are left undisposed: requests still finishing may read or link their tokens.
    public void Dispose() => _cutNearTimer?.Dispose();
}
