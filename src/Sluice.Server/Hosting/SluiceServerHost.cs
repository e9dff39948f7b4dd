namespace Sluice.Server.Hosting;

/// <summary>Builds and runs the server; used by <c>Program</c> and by <c>./sluice serve</c>.</summary>
public static class SluiceServerHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddSluiceServer();
        var app = builder.Build();
        app.MapSluice();
        return app;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        await using var app = Build(args);
        await app.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
