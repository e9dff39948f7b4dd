using System.Text;

namespace Sluice.Bench.Targets;

/// <summary>Builds a target from a spec, after checking that its host is allowed.</summary>
internal static class TargetFactory
{
    public static ILoadTarget Create(TargetSpec spec, TimeSpan deadline, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        HostGuard.EnsureAllowed(spec.Url, spec.AllowedHosts);
        return spec.Kind switch
        {
            TargetKind.Http => new HttpTarget(
                spec.Url,
                new HttpMethod(spec.Method.ToUpperInvariant()),
                spec.Body is null ? null : Encoding.UTF8.GetBytes(spec.Body),
                client: client),
            TargetKind.Job or TargetKind.JobStream => new SluiceJobTarget(spec, deadline, client),
            TargetKind.Infer => new SluiceInferTarget(spec, client),
            TargetKind.Chat => new ChatCompletionsTarget(spec, client),
            _ => throw new BenchConfigurationException($"Unknown target kind {spec.Kind}."),
        };
    }
}
