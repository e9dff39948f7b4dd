using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.Backends.Configuration;
using Sluice.Backends.Health;
using Sluice.Backends.Routing;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers external model backends (<c>Sluice:Backends:{name}</c>): models, health probing, readiness, fallbacks.</summary>
public static class BackendsServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceBackends(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<BackendsOptions>().BindConfiguration(BackendsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackendsOptions>, BackendsOptionsValidator>());
        services.TryAddSingleton<BackendRegistry>();
        services.TryAddSingleton<FallbackRouter>();
        // Replaces the core's default (never reroute), whichever of the two was registered first.
        services.Replace(ServiceDescriptor.Singleton<IJobRerouter, QueuedJobRerouter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, BackendModelSource>());
        services.AddConfigurationProblemSource<FallbackRouter>();
        services.AddHostedService<BackendHealthProber>();
        services.AddHealthChecks().AddCheck<BackendsHealthCheck>("backends", tags: ["ready"]);
        return services;
    }
}
