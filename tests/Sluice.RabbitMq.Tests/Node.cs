using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq.Tests;

/// <summary>
/// The services of one Sluice process (gateway or worker) wired exactly as the server wires them from
/// configuration, without HTTP: several of these in one test are several processes on one broker.
/// </summary>
internal sealed class Node : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private Node(ServiceProvider services) => _services = services;

    public RabbitMqJobQueue Queue => _services.GetRequiredService<RabbitMqJobQueue>();

    public RabbitMqJobEventHub Hub => _services.GetRequiredService<RabbitMqJobEventHub>();

    public IJobStore Store => _services.GetRequiredService<IJobStore>();

    public LiveJobs Live => _services.GetRequiredService<LiveJobs>();

    public JobService Jobs => _services.GetRequiredService<JobService>();

    public JobLifecycle Lifecycle => _services.GetRequiredService<JobLifecycle>();

    /// <summary>The node's services, for a test that builds another component on the same connection.</summary>
    public IServiceProvider Services => _services;

    public static Task<Node> StartAsync(string queueUrl, string storeUrl, string prefix, string role, params (string Key, string Value)[] extra) =>
        StartAsync(queueUrl, storeUrl, prefix, role, null, extra);

    /// <summary>As above, with <paramref name="configure"/> applied to the services last (a test's own rerouter, say).</summary>
    public static async Task<Node> StartAsync(string queueUrl, string storeUrl, string prefix, string role, Action<IServiceCollection>? configure, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sluice:Role"] = role,
            ["Sluice:Queue:Url"] = queueUrl,
            ["Sluice:Queue:Prefix"] = prefix,
            ["Sluice:Store:Url"] = storeUrl,
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config);
        services.AddSluiceCore();
        services.AddSluicePostgresStore();
        services.AddSluiceRabbitMq();
        configure?.Invoke(services);
        var sp = services.BuildServiceProvider();
        var node = new Node(sp);
        await node.Store.InitializeAsync(CancellationToken.None);
        await node.Queue.DeclareAsync("sleep-batch", 10_000, CancellationToken.None);
        await node.Hub.StartAsync(CancellationToken.None);
        await sp.GetRequiredService<RabbitMqDeadLetterReconciler>().StartAsync(CancellationToken.None);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<RabbitMqDeadLetterReconciler>().StopAsync(CancellationToken.None);
        await Hub.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
