namespace Sluice.Server.Http;

/// <summary>
/// Security headers on every answer, the API's and its errors included (the essay page sets its own, stricter for
/// scripts): no MIME sniffing, so a JSON body that echoes client text can never be run as HTML or script; no referrer;
/// a policy that loads nothing and may not be framed, as an API answer needs neither; and, over HTTPS, HSTS.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>A year, the usual HSTS lifetime; no includeSubDomains, as the server cannot speak for other hosts.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    public Task InvokeAsync(HttpContext http)
    {
        // Added as the answer starts, so one the exception handler rewrites (it clears the headers) has them too.
        http.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.TryAdd("X-Content-Type-Options", "nosniff");
            headers.TryAdd("Referrer-Policy", "no-referrer");
            headers.TryAdd("Content-Security-Policy", ApiContentSecurityPolicy);
            var request = ((HttpContext)state).Request;
            if (request.IsHttps && !IsLoopback(request.Host.Host))
            {
                // Only over TLS (RFC 6797 has browsers ignore it on plain HTTP) and not for a loopback name, which a
                // browser would then refuse over plain HTTP for a year, for every other program served on it.
                headers.TryAdd("Strict-Transport-Security", StrictTransportSecurity);
            }

            return Task.CompletedTask;
        }, http);
        return next(http);
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.AsSpan().Trim("[]"), out var address) && System.Net.IPAddress.IsLoopback(address));
}
