using Microsoft.Extensions.DependencyInjection;
using Sluice.Blog.Hosting;
using Sluice.Blog.Tests.Infrastructure;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Hosting;

/// <summary>Unknown Blog:* keys on the command line of a real blog build: each warned about, naming the nearest setting.</summary>
public sealed class BlogSettingsCheckTests
{
    [Theory]
    [InlineData("Blog:PageSise", "Blog:PageSize", "Blog:PageSise")]
    [InlineData("Blog:Sluice:BaseUrll", "Blog:Sluice:BaseUrl", "Blog:Sluice:BaseUrll")]
    [InlineData("Blog:RateLimit:SignInPerUsr", "Blog:RateLimit:SignInPerUser", "Blog:RateLimit:SignInPerUsr")]
    [InlineData("Blog:Sluices:ApiKey", "Blog:Sluice", "Blog:Sluices")]
    [InlineData("Blog:ForwardedHeaders:KnownNetwork:0", "Blog:ForwardedHeaders:KnownNetworks", "Blog:ForwardedHeaders:KnownNetwork")]
    public async Task Problems_MisspeltKey_NamesItAndTheNearestSetting(string key, string nearest, string named)
    {
        using var folder = new TempFolder();
        await using var app = BlogServer.Build(folder, Sluices.Nowhere(), new Dictionary<string, string> { [key] = "5" });

        var problems = app.Services.GetRequiredService<BlogSettingsCheck>().Problems();

        var problem = Assert.Single(problems);
        Assert.StartsWith(named + " is not a setting", problem, StringComparison.Ordinal);
        Assert.EndsWith($"Did you mean {nearest}?", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Problems_KeyNearNothing_NamedWithEverySetting()
    {
        using var folder = new TempFolder();
        await using var app = BlogServer.Build(folder, Sluices.Nowhere(), new Dictionary<string, string> { ["Blog:SluiceUrll"] = "http://127.0.0.1:9" });

        var problem = Assert.Single(app.Services.GetRequiredService<BlogSettingsCheck>().Problems());

        Assert.Equal("Blog:SluiceUrll is not a setting or section of Blog (they are: CacheSeconds, DataDir, ForwardedHeaders, PageSize, RateLimit, Sluice); it is ignored.", problem);
    }

    [Fact]
    public async Task Problems_EveryKnownSetting_None()
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string>
        {
            ["Blog:PageSize"] = "5", ["Blog:CacheSeconds"] = "0", ["Blog:Sluice:ApiKey"] = "k", ["Blog:Sluice:Model"] = "m",
            ["Blog:Sluice:MaxTokens"] = "1", ["Blog:Sluice:TimeoutSeconds"] = "5", ["blog:ratelimit:windowseconds"] = "5",
            ["Blog:RateLimit:SignInPerAddress"] = "5", ["Blog:RateLimit:SignInPerUser"] = "5", ["Blog:RateLimit:RegisterPerAddress"] = "5",
            ["Blog:ForwardedHeaders:KnownProxies:0"] = "10.0.0.5", ["Blog:ForwardedHeaders:KnownNetworks:0"] = "10.1.0.0/16",
        };
        await using var app = BlogServer.Build(folder, Sluices.Nowhere(), settings);

        Assert.Empty(app.Services.GetRequiredService<BlogSettingsCheck>().Problems());
    }
}
