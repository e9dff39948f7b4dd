using Microsoft.Extensions.Options;
using Sluice.Blog.Hosting;
using Sluice.Blog.Tests.Infrastructure;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Hosting;

/// <summary>Settings checked at start: a wrong value stops the start naming it.</summary>
public sealed class BlogHostTests
{
    [Theory]
    [InlineData("Blog:Sluice:BaseUrl", "ftp://127.0.0.1:8080")]
    [InlineData("Blog:Sluice:BaseUrl", "not a url")]
    [InlineData("Blog:PageSize", "0")]
    [InlineData("Blog:Sluice:MaxTokens", "-1")]
    [InlineData("Blog:RateLimit:SignInPerUser", "0")]
    [InlineData("Blog:RateLimit:WindowSeconds", "0")]
    [InlineData("Blog:ForwardedHeaders:KnownProxies:0", "proxy.local")]
    [InlineData("Blog:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33")]
    [InlineData("Blog:ForwardedHeaders:KnownNetworks:0", "10.0.0.0")]
    public async Task StartAsync_BadSetting_FailsNamingIt(string key, string value)
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string> { [key] = value };
        await using var app = BlogServer.Build(folder, new Uri("http://127.0.0.1:1/"), settings);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MainAsync_NewerSchema_PrintsOneErrorLineAndReturns1()
    {
        using var folder = new TempFolder();
        await using (var first = BlogServer.Build(folder, new Uri("http://127.0.0.1:1/")))
        {
            await first.StartAsync();
            await first.StopAsync();
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={folder.File("blog.db")};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_version (version) VALUES (7);";
            command.ExecuteNonQuery();
        }

        using var error = new StringWriter();
        var code = await BlogHost.MainAsync(["--urls=http://127.0.0.1:0", $"--Blog:DataDir={folder.Path}"], error);

        Assert.Equal(1, code);
        Assert.StartsWith("error: the blog could not start: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("version 7", error.ToString(), StringComparison.Ordinal);
    }
}
