using Sluice.Blog.Storage;

namespace Sluice.Blog.Hosting;

/// <summary>Opens (creates or checks) the SQLite file before the blog listens, so a bad file stops the start.</summary>
internal sealed class StoreStartup(IBlogStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
