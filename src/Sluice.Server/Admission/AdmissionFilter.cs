using System.Globalization;
using Sluice.Core.Metrics;
using Sluice.Server.Http;

namespace Sluice.Server.Admission;

/// <summary>
/// Authenticates the caller (<c>Authorization: Bearer KEY</c> or <c>X-Api-Key</c>) and applies its token-bucket
/// rate limit before any handler runs: 401 without a valid key when keys are configured, 429 with Retry-After
/// when the bucket is empty.
/// </summary>
internal sealed class AdmissionFilter(ApiKeyAuthenticator auth, IRateLimitStore limits, SluiceMetrics metrics) : IEndpointFilter
{
    public const string CallerKey = "sluice.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = auth.AnonymousCaller;
        var formatter = http.GetEndpoint()?.Metadata.GetMetadata<IAdmissionErrorFormatter>();
        if (auth.Enabled)
        {
            var presented = PresentedKey(http.Request, out var header);
            if (!auth.TryAuthenticate(presented, out caller))
            {
                metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", "unauthorized"));
                http.Response.Headers.WWWAuthenticate = "Bearer";
                var detail = presented.IsEmpty ? "send an API key as 'Authorization: Bearer KEY' or 'X-Api-Key'" : $"the API key sent in {header} is not valid";
                return formatter?.Unauthorized(detail) ?? Problems.Create(401, "Unauthorized", detail, header);
            }
        }

        if (caller.RequestsPerSecond > 0)
        {
            var decision = await limits.TryAcquireAsync("rps:" + caller.Id, caller.RequestsPerSecond, caller.Burst, 1, http.RequestAborted).ConfigureAwait(false);
            if (!decision.Allowed)
            {
                metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", "rate_limited"));
                http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var detail = $"rate limit of {caller.RequestsPerSecond} requests/s (burst {caller.Burst}) exceeded for key '{caller.Id}'";
                return formatter?.RateLimited(detail) ?? Problems.Create(429, "Too many requests", detail, type: "rate-limited");
            }
        }

        http.Items[CallerKey] = caller;
        return await next(context).ConfigureAwait(false);
    }

    public static Caller CallerOf(HttpContext http) => http.Items[CallerKey] as Caller ?? Caller.Anonymous;

    /// <summary>The presented secret and the header it came in, so a refusal names the header at fault.</summary>
    private static ReadOnlySpan<char> PresentedKey(HttpRequest request, out string header)
    {
        header = "Authorization";
        var authz = request.Headers.Authorization.ToString();
        if (authz.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authz.AsSpan(7).Trim();
        }

        var apiKey = request.Headers["X-Api-Key"].ToString().AsSpan().Trim();
        if (!apiKey.IsEmpty)
        {
            header = "X-Api-Key";
        }

        return apiKey;
    }
}
