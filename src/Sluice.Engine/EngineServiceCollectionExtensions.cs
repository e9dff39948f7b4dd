using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Models;
using Sluice.Engine.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the pure C# transformer engine as a model source.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="EngineOptions"/> (bound from <c>Sluice:Engine</c>) and an <see cref="IModelSource"/> that
    /// offers every llama2.c checkpoint and GGUF file in the configured models folders.
    /// </summary>
    public static IServiceCollection AddSluiceEngine(this IServiceCollection services)
    {
        // Idempotent: binding twice would append configured ModelsPaths twice.
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(IModelSource) && descriptor.ImplementationType == typeof(EngineModelSource))
            {
                return services;
            }
        }

        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, EngineModelSource>());
        return services;
    }
}
