using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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

        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.SectionName)
            // ModelsPaths is a list (Sluice:Engine:ModelsPaths:0, :1 …), and the binder ignores a plain value: the way
            // one folder is naturally written (Sluice__Engine__ModelsPaths=/models) left the server on the defaults.
            .Configure<IConfiguration>(static (options, configuration) =>
            {
                if (options.ModelsPaths.Count == 0 && configuration[EngineOptions.SectionName + ":" + nameof(EngineOptions.ModelsPaths)] is { } one && !string.IsNullOrWhiteSpace(one))
                {
                    options.ModelsPaths.Add(one);
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, EngineModelSource>());
        return services;
    }
}
