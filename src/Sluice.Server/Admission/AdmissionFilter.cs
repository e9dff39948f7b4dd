using System.Globalization;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Server.Http;

namespace Sluice.Server.Admission;

/// <summary>
/// Authenticates the caller (<c>Authorization: Bearer KEY</c> or <c>X-Api-Key</c>, or on a job's event streams that
/// job's <c>stream_token</c>) and applies its token-bucket rate limit before any handler runs: 401 without a valid key
/// when keys are configured, 429 with Retry-After when the bucket is empty.
/// </summary>
internal sealed class AdmissionFilter(ApiKeyAuthenticator auth, StreamTokens streamTokens, IRateLimitStore limits, SluiceMetrics metrics) : IEndpointFilter
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
            if (presented.IsEmpty && http.Request.Query.TryGetValue(StreamTokens.QueryName, out var token))
            {
                if (CheckStreamToken(http, token, formatter, out caller) is { } refused)
                {
                    metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", "unauthorized"));
                    return refused;
                }
            }
            else if (!auth.TryAuthenticate(presented, out caller))
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

    /// <summary>
    /// Admits a request by its stream token: only on a job's event streams (<see cref="StreamTokenAccepted"/>), only for
    /// the job it was issued for, before it expires, and read-only (it cannot cancel the job by leaving). Null when
    /// admitted as the key that got the token.
    /// </summary>
    private IResult? CheckStreamToken(HttpContext http, Microsoft.Extensions.Primitives.StringValues token, IAdmissionErrorFormatter? formatter, out Caller caller)
    {
        caller = auth.AnonymousCaller;
        string detail;
        var status = 401;
        var field = StreamTokens.QueryName;
        if (http.GetEndpoint()?.Metadata.GetMetadata<StreamTokenAccepted>() is null)
        {
            detail = "a stream token opens only its job's event stream (GET /v1/jobs/{id}/events or /v1/jobs/{id}/ws); "
                + "send an API key as 'Authorization: Bearer KEY' or 'X-Api-Key'";
        }
        else if (token.Count != 1)
        {
            detail = "send one stream_token";
        }
        else
        {
            var jobId = http.Request.RouteValues["id"] as string ?? "";
            switch (streamTokens.Check(token.ToString(), jobId, out var owner))
            {
                case StreamTokenCheck.Valid when QueryFlag.TryParse(http.Request.Query["cancel_on_disconnect"].ToString(), out var cancel) && cancel:
                    // Read-only: whoever holds the token (a browser) may follow the job, not end it.
                    status = 403;
                    field = "cancel_on_disconnect";
                    detail = "a stream token is read-only and cannot cancel the job; use the API key for cancel_on_disconnect=true";
                    break;
                case StreamTokenCheck.Valid:
                    caller = owner!;
                    return null;
                case StreamTokenCheck.OtherJob:
                    detail = $"the stream token was issued for another job, not '{ClientText.Echo(jobId)}'";
                    break;
                case StreamTokenCheck.Expired:
                    detail = $"the stream token has expired; the key that owns job '{ClientText.Echo(jobId)}' gets a fresh one from GET /v1/jobs/{ClientText.Echo(jobId)}";
                    break;
                default:
                    detail = "the stream token is not valid (malformed, or not signed by a configured key)";
                    break;
            }
        }

        if (status == 401)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return formatter?.Unauthorized(detail) ?? Problems.Create(401, "Unauthorized", detail, field);
        }

        return Problems.Create(status, "Forbidden", detail, field, "stream-token-read-only");
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
