using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Sluice.Server.Tracing;

/// <summary>
/// The configured sampler (<see cref="TracingSamplers"/>) except for outgoing HTTP calls that belong to no trace: a call a job's
/// run makes to a remote backend is a child of that run and recorded, but the backends' health probes, made every few
/// seconds outside any request, would each be a trace of their own and bury the jobs' traces.
/// </summary>
internal sealed class ParentedHttpClientSampler(Sampler inner) : Sampler
{
    /// <summary>The activity .NET's <c>HttpClient</c> starts for a request (source <c>System.Net.Http</c>).</summary>
    internal const string HttpRequestOut = "System.Net.Http.HttpRequestOut";

    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && samplingParameters.Kind == ActivityKind.Client
            && string.Equals(samplingParameters.Name, HttpRequestOut, StringComparison.Ordinal)
            ? Drop
            : inner.ShouldSample(samplingParameters);
}
