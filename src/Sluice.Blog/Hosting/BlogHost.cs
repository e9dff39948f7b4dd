using Sluice.Blog.Storage;

namespace Sluice.Blog.Hosting;

/// <summary>Builds and runs the blog; <see cref="Build"/> is what the tests host in-process.</summary>
internal static class BlogHost
{
    public static async Task<int> MainAsync(string[] args, TextWriter error)
    {
        try
        {
            var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (BlogSchemaException e)
        {
            await error.WriteLineAsync($"error: the blog could not start: {e.Message}");
            return 1;
        }
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var dataDir = builder.Configuration["Blog:DataDir"] ?? "data";
        builder.Services.AddSingleton<IBlogStore>(sp => new SqliteBlogStore(Path.Combine(dataDir, "blog.db"), TimeProvider.System));
        return builder.Build();
    }
}
