using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Blog.Hosting;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Infrastructure;

/// <summary>
/// The blog on 127.0.0.1 with a random port and a throwaway data folder, hosted in the test process: real Kestrel,
/// real SQLite file, real HTTP to a real Sluice server (or to an address where none listens).
/// </summary>
internal sealed partial class BlogServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempFolder _folder;

    private BlogServer(WebApplication app, TempFolder folder, Uri baseAddress)
    {
        _app = app;
        _folder = folder;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<BlogServer> StartAsync(Uri sluice, IDictionary<string, string>? settings = null)
    {
        var folder = new TempFolder();
        var app = Build(folder, sluice, settings);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BlogServer(app, folder, new Uri(address));
    }

    public static WebApplication Build(TempFolder folder, Uri sluice, IDictionary<string, string>? settings = null)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Blog:DataDir={folder.Path}",
            $"--Blog:Sluice:BaseUrl={sluice}",
            "--Logging:LogLevel:Default=Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{k}={v}");
        }

        return BlogHost.Build([.. args]);
    }

    /// <summary>A browser-like client: its own cookie jar, redirects not followed so tests see them.</summary>
    public BlogClient NewClient() => new(new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(120),
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _folder.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    internal static partial Regex TokenPattern();
}
