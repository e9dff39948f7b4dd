using System.Net;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Sluice.Blog.Api;
using Sluice.Blog.Drafting;
using Sluice.Blog.Observability;
using Sluice.Blog.Pages;
using Sluice.Blog.Publishing;
using Sluice.Blog.Security;
using Sluice.Blog.Storage;

namespace Sluice.Blog.Hosting;

/// <summary>Builds and runs the blog; <see cref="Build"/> is what the tests host in-process.</summary>
internal static class BlogHost
{
    public const string DefaultUrl = "http://127.0.0.1:5000";

    public static async Task<int> MainAsync(string[] args, TextWriter error)
    {
        try
        {
            var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is BlogSchemaException or OptionsValidationException)
        {
            await error.WriteLineAsync($"error: the blog could not start: {e.Message}");
            return 1;
        }
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            // Loopback only unless told otherwise, beside Sluice's 8080 (the seed's Flask app listened on 5000).
            builder.WebHost.UseUrls(DefaultUrl);
        }

        AddBlog(builder);
        var app = builder.Build();
        // First, so the rate limits, the cookies' Secure flag and the redirects see the client's address and scheme.
        app.UseForwardedHeaders();
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseExceptionHandler();
        // An empty error answer (an unknown path, a wrong method) becomes a problem, as every other refusal is.
        app.UseStatusCodePages();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        // Before the form is read: a refused sign-in costs no antiforgery check, no query and no hash.
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.UseMiddleware<AntiforgeryProblemMiddleware>();
        // After authentication: the default policy caches only anonymous readers' pages.
        app.UseOutputCache();
        app.MapBlogAssets();
        app.MapAccountPages();
        app.MapPostPages();
        app.MapPostsApi();
        app.MapDrafts();
        app.MapBlogMetrics();
        return app;
    }

    private static void AddBlog(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BlogOptions>().BindConfiguration(BlogOptions.Section).ValidateOnStart();
        services.AddOptions<SluiceOptions>().BindConfiguration(SluiceOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BlogOptions>, BlogOptionsValidator>();
        services.AddSingleton<IValidateOptions<SluiceOptions>, BlogOptionsValidator>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, BlogOptionsValidator>();
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, BlogOptionsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>(static (forwarded, settings) =>
        {
            // The framework trusts loopback by default, and any sender when both lists are empty: start from none.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in settings.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }

            var any = forwarded.KnownProxies.Count > 0 || forwarded.KnownIPNetworks.Count > 0;
            forwarded.ForwardedHeaders = any ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            // No fixed hop count: the addresses are read from the right for as long as each hop is a configured proxy.
            forwarded.ForwardLimit = null;
        });
        services.AddSingleton<SignInUserLimiter>();
        // An instance, not a type: its hash is made here, at start, not by the first sign-in with an unknown name.
        services.AddSingleton(new UnknownUserHash());
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>(static (limiter, options) =>
        {
            var o = options.Value;
            var window = TimeSpan.FromSeconds(o.WindowSeconds);
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(AccountLimiterPolicy.SignIn, new AccountLimiterPolicy(o.SignInPerAddress, window));
            limiter.AddPolicy(AccountLimiterPolicy.Register, new AccountLimiterPolicy(o.RegisterPerAddress, window));
        });
        services.AddSingleton<BlogSettingsCheck>();
        services.AddHostedService(static sp => sp.GetRequiredService<BlogSettingsCheck>());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IBlogStore>(sp =>
            new SqliteBlogStore(Path.Combine(sp.GetRequiredService<IOptions<BlogOptions>>().Value.DataDir, "blog.db"), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<StoreStartup>();
        services.AddSingleton<PostWriter>();
        services.AddSingleton<DraftRegistry>();
        services.AddSingleton<BlogMetrics>();
        // The keys that sign the sign-in cookie and the antiforgery tokens live beside the database: a restart keeps
        // everyone signed in, and two blogs on one machine do not share (or rotate) each other's keys.
        var dataDir = builder.Configuration[$"{BlogOptions.Section}:{nameof(BlogOptions.DataDir)}"];
        services.AddDataProtection()
            .SetApplicationName("sluice-blog")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(string.IsNullOrWhiteSpace(dataDir) ? new BlogOptions().DataDir : dataDir, "keys")));
        services.AddProblemDetails();
        // The framework's default never marks the antiforgery cookie Secure; over HTTPS it must not travel over plain HTTP.
        services.AddAntiforgery(static options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.AddAuthorization();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "sluice_blog";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            // Secure whenever the request came over HTTPS (the default, said here so it is not lost).
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.LoginPath = "/login";
            options.ReturnUrlParameter = "returnUrl";
            options.ExpireTimeSpan = TimeSpan.FromDays(14);
            options.SlidingExpiration = true;
            // The API and the draft relay answer a problem, not a redirect to a page a script cannot use.
            options.Events.OnRedirectToLogin = context => ProblemOrRedirect(context, StatusCodes.Status401Unauthorized, "Sign in first.");
            options.Events.OnRedirectToAccessDenied = context => ProblemOrRedirect(context, StatusCodes.Status403Forbidden, "Not allowed.");
        });

        var cacheSeconds = Math.Clamp(builder.Configuration.GetValue($"{BlogOptions.Section}:{nameof(BlogOptions.CacheSeconds)}", 60), 0, 86_400);
        services.AddOutputCache(options => options.AddPolicy(CacheTags.Posts, policy =>
            policy.Tag(CacheTags.Posts).SetVaryByQuery("page").Expire(TimeSpan.FromSeconds(cacheSeconds)).With(_ => cacheSeconds > 0)));

        services.AddHttpClient<SluiceClient>((sp, http) =>
        {
            var sluice = sp.GetRequiredService<IOptions<SluiceOptions>>().Value;
            // Relative paths resolve under the base address only when it ends with '/'.
            http.BaseAddress = new Uri(sluice.BaseUrl.TrimEnd('/') + "/");
            // Bounds the submit and each header wait; an event stream, once its headers came, is not cut by it.
            http.Timeout = TimeSpan.FromSeconds(sluice.TimeoutSeconds);
        });
    }

    private static Task ProblemOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status, string detail)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/drafts"))
        {
            return Results.Problem(statusCode: status, detail: detail).ExecuteAsync(context.HttpContext);
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
