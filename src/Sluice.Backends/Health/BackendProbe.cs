using Sluice.Backends.Resilience;

namespace Sluice.Backends.Health;

/// <summary>Runs one health probe of an upstream and records the outcome; never throws for upstream failures.</summary>
internal static class BackendProbe
{
    public static async Task<bool> RunAsync(UpstreamClient upstream, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(10, upstream.Options.RequestTimeoutSeconds)), upstream.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await probe(linked.Token).ConfigureAwait(false);
            upstream.Health.Record(true, null, upstream.Time.GetUtcNow());
            await upstream.CloseCircuitIfCooledDownAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is UpstreamException or HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or IOException)
        {
            var message = ex is OperationCanceledException ? "health probe timed out" : ex.Message;
            upstream.Health.Record(false, message, upstream.Time.GetUtcNow());
            return false;
        }
    }
}
