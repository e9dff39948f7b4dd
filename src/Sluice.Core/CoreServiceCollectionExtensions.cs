using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Core.BuiltIns;
using Sluice.Core.Caching;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Core.Memory;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the serving pipeline: registry, in-process queue, event hub, batchers, job service, metrics.</summary>
public static class CoreServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<SchedulingOptions>().BindConfiguration("Sluice").Validate(o => o.Role is "all" or "gateway" or "worker", "Sluice:Role must be all, gateway or worker").ValidateOnStart();
        services.AddOptions<InProcessQueueOptions>().BindConfiguration(InProcessQueueOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InProcessQueueOptions>, InProcessQueueOptionsValidator>());
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetryOptions>().BindConfiguration(RetryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RetryOptions>, RetryOptionsValidator>());
        // A misspelt key (say Sluice:BuiltIns:SleepBatch:BaseMs) is an error at start, not a model silently on its defaults.
        services.AddOptions<BuiltInOptions>().BindConfiguration(BuiltInOptions.SectionName, o => o.ErrorOnUnknownConfiguration = true).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SluiceMetrics>();
        services.TryAddSingleton<PrometheusExporter>();
        services.TryAddSingleton<ProcessMetrics>();
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<IdleMemoryTrimmer>();
        services.TryAddSingleton<IJobQueue, InProcessJobQueue>();
        services.TryAddSingleton<IJobEventHub, InMemoryJobEventHub>();
        services.TryAddSingleton<ResultCache>();
        services.TryAddSingleton<LiveJobs>();
        // Backends replace it with their fallback chains.
        services.TryAddSingleton<IJobRerouter, NoJobRerouter>();
        services.TryAddSingleton<PendingRefusals>();
        services.TryAddSingleton<JobLifecycle>();
        services.TryAddSingleton<ModelRegistry>();
        services.AddConfigurationProblemSource<ModelRegistry>();
        services.TryAddSingleton<JobService>();
        services.TryAddSingleton<DirectInference>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, BuiltInModelSource>());
        services.TryAddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        // After the model host: the problems are judged against the models really registered.
        services.AddHostedService<ConfigurationProblemLog>();
        services.AddHostedService<StoreMaintenance>();
        return services;
    }

    /// <summary>Has <typeparamref name="T"/> (a registered singleton) report its configuration problems as warnings at start.</summary>
    public static IServiceCollection AddConfigurationProblemSource<T>(this IServiceCollection services)
        where T : class, IConfigurationProblemSource
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigurationProblemSource, T>(static sp => sp.GetRequiredService<T>()));
        return services;
    }
}
