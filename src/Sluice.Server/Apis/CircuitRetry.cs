using System.Text.Json;
using Sluice.Backends.Health;
using Sluice.Backends.Resilience;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>The <c>Retry-After</c> of a request a remote backend's open circuit refused.</summary>
internal static class CircuitRetry
{
    /// <summary>
    /// The longest a client waiting on its HTTP request is kept for a retry that an open circuit holds back: a retry
    /// due sooner may well be the trial call itself; a later one (up to a cooldown, 30 s by default) is the client's to
    /// schedule with the answer's <c>Retry-After</c>.
    /// </summary>
    public static readonly TimeSpan SyncWaitLimit = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The time until <paramref name="model"/>'s circuit takes its next trial call, as it stands now (the job may have
    /// waited out retries since the refusal); zero (sent as 1 s) when the cooldown is over or the model has no circuit.
    /// </summary>
    public static TimeSpan After(ModelRegistry registry, string model) =>
        registry.TryGet(model, out var entry) && entry.Model is IBackendModel backend ? backend.Upstream.Health.UntilTrial : TimeSpan.Zero;

    /// <summary>
    /// The error of a <c>retrying</c> event whose retry the model holds back longer than <see cref="SyncWaitLimit"/>:
    /// a remote backend's open circuit refused the attempt (its <c>error_code</c> <c>circuit_open</c>: the retry waits
    /// for its trial call), or the upstream answered with a <c>Retry-After</c> the retry waits out (the event's
    /// <c>held_back</c>); null for any other event.
    /// </summary>
    public static string? HeldBackBy(JobEvent e) => HeldBackBy(e, out _, out _);

    /// <summary>As <see cref="HeldBackBy(JobEvent)"/>; <paramref name="delay"/> is how long the retry is held back.</summary>
    public static string? HeldBackBy(JobEvent e, out TimeSpan delay) => HeldBackBy(e, out delay, out _);

    /// <summary>
    /// As <see cref="HeldBackBy(JobEvent)"/>; <paramref name="delay"/> is how long the retry is held back and
    /// <paramref name="errorCode"/> the failed attempt's code.
    /// </summary>
    public static string? HeldBackBy(JobEvent e, out TimeSpan delay, out string? errorCode)
    {
        delay = TimeSpan.Zero;
        errorCode = null;
        if (e.Type != JobEventTypes.Retrying)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(e.DataJson);
            var data = doc.RootElement;
            var error = data.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String ? err.GetString() : null;
            var delayMs = data.TryGetProperty("delay_ms", out var d) && d.TryGetInt64(out var ms) ? ms : 0;
            var heldBack = data.TryGetProperty("held_back", out var h) && h.ValueKind == JsonValueKind.True;
            errorCode = data.TryGetProperty("error_code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()
                // An event of a worker that predates error codes (a rolling upgrade): its refusal by the circuit is known by its words.
                : UpstreamException.IsCircuitOpen(error) ? JobErrorCodes.CircuitOpen : null;
            delay = TimeSpan.FromMilliseconds(delayMs);
            return (heldBack || errorCode == JobErrorCodes.CircuitOpen) && delayMs > SyncWaitLimit.TotalMilliseconds ? error : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
