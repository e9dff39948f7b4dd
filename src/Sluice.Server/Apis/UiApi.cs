using Microsoft.Net.Http.Headers;
using Sluice.Server.Ui;

namespace Sluice.Server.Apis;

/// <summary>
/// The built-in web page for seed 000's students and teachers: <c>/ui/essays</c> grades an essay through
/// <c>POST /v1/essays</c> and shows the job's stage events live. <c>/</c> leads there. The page is static and public;
/// the API calls it makes carry the key the user enters, so admission applies to them as to any client.
/// </summary>
internal static class UiApi
{
    // Scripts and styles only from this origin and no inline code, so user text rendered into the page can never run.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication MapUiApi(this WebApplication app)
    {
        var assets = UiAssets.Load();
        // HEAD too, as for any static file: link checkers and uptime probes use it and would otherwise see 405.
        app.MapGet("/", () => TypedResults.Redirect("/ui/essays")).AllowHead().ExcludeFromDescription();
        app.MapGet("/ui/essays", (HttpContext http) => Serve(http, assets.Page)).AllowHead().ExcludeFromDescription();
        app.MapGet("/ui/essays.js", (HttpContext http) => Serve(http, assets.Script)).AllowHead().ExcludeFromDescription();
        app.MapGet("/ui/essays.css", (HttpContext http) => Serve(http, assets.Styles)).AllowHead().ExcludeFromDescription();
        app.MapGet("/ui/icon.svg", (HttpContext http) => Serve(http, assets.Icon)).AllowHead().ExcludeFromDescription();
        app.Lifetime.ApplicationStarted.Register(() => LogPageAddresses(app));
        return app;
    }

    // Where to point a browser, next to Kestrel's "Now listening on": the bound addresses are known only once started.
    private static void LogPageAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        if (addresses is null)
        {
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sluice.Server.Ui");
        foreach (var address in addresses)
        {
            logger.LogInformation("Essay grading page: {Address}/ui/essays", address.TrimEnd('/'));
        }
    }

    private static IResult Serve(HttpContext http, UiAsset asset)
    {
        var headers = http.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every load (a 304 costs one round trip), so an upgraded server never runs an old script.
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        foreach (var tag in http.Request.GetTypedHeaders().IfNoneMatch)
        {
            if (tag.Tag == asset.ETag || tag.Equals(EntityTagHeaderValue.Any))
            {
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            }
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
