using System.Text;
using System.Text.Json;

namespace Sluice.Bench.Targets;

/// <summary>Builds a target from a spec, after checking that its host is allowed.</summary>
internal static class TargetFactory
{
    public static ILoadTarget Create(TargetSpec spec, TimeSpan deadline, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        HostGuard.EnsureAllowed(spec.Url, spec.AllowedHosts);
        if (spec.Kind is TargetKind.Job or TargetKind.JobStream or TargetKind.Infer)
        {
            // The input is spliced into every request body: a bad one would only show as a run of 400s.
            EnsureOneJsonValue(spec.InputJson);
        }

        if (spec.Kind is TargetKind.Job or TargetKind.JobStream && spec.Priority is not ("high" or "normal" or "low"))
        {
            throw new BenchConfigurationException($"--priority must be high, normal or low (got '{spec.Priority}').");
        }

        HttpMethod? method = null;
        if (spec.Kind == TargetKind.Http)
        {
            try
            {
                method = new HttpMethod(spec.Method.ToUpperInvariant());
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                // A bad option value (bench: …, exit 2) naming the option, not the bare HttpMethod error.
                throw new BenchConfigurationException($"--method '{spec.Method}' is not an HTTP method (e.g. GET, POST).", e);
            }
        }

        if (spec.Kind == TargetKind.Chat && spec.MaxTokens < 1)
        {
            // Every request would be a 400 from the server; say so before the run, as for --input.
            throw new BenchConfigurationException($"--max-tokens must be at least 1 (got {spec.MaxTokens}).");
        }

        return spec.Kind switch
        {
            TargetKind.Http => new HttpTarget(
                spec.Url,
                method!,
                spec.Body is null ? null : Encoding.UTF8.GetBytes(spec.Body),
                client: client),
            TargetKind.Job or TargetKind.JobStream => new SluiceJobTarget(spec, deadline, client),
            TargetKind.Infer => new SluiceInferTarget(spec, client),
            TargetKind.Chat => new ChatCompletionsTarget(spec, client),
            _ => throw new BenchConfigurationException($"Unknown target kind {spec.Kind}."),
        };
    }

    private static void EnsureOneJsonValue(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new BenchConfigurationException($"--input is not one JSON value: {e.Message}", e);
        }
    }
}
