namespace Sluice.Server.Http;

/// <summary>
/// Security headers on every answer, the API's and its errors included (the essay page sets its own, stricter for
/// scripts): no MIME sniffing, so a JSON body that echoes client text can never be run as HTML or script; no referrer;
/// and a policy that loads nothing and may not be framed, as an API answer needs neither.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext http)
    {
        // Added as the answer starts, so one the exception handler rewrites (it clears the headers) has them too.
        http.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.TryAdd("X-Content-Type-Options", "nosniff");
            headers.TryAdd("Referrer-Policy", "no-referrer");
            headers.TryAdd("Content-Security-Policy", ApiContentSecurityPolicy);
            return Task.CompletedTask;
        }, http);
        return next(http);
    }
}
