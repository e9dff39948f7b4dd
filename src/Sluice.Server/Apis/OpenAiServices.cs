using Microsoft.Extensions.Options;
using Sluice.Backends.Routing;
using Sluice.Core.Scheduling;
using Sluice.Server.Admission;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>What the OpenAI-compatible handlers need, bundled so helpers take one argument.</summary>
internal sealed class OpenAiServices(JobService jobs, FallbackRouter router, IRateLimitStore limits, IOptions<HttpOptions> http, TimeProvider time)
{
    public JobService Jobs { get; } = jobs;

    public FallbackRouter Router { get; } = router;

    public IRateLimitStore Limits { get; } = limits;

    public HttpOptions Http { get; } = http.Value;

    public TimeProvider Time { get; } = time;
}
