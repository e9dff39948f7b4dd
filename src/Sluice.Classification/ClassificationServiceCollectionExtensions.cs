using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.Classification;
using Sluice.Classification.Serving;
using Sluice.Core.Models;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the text classifier and its training jobs with the server.</summary>
public static class ClassificationServiceCollectionExtensions
{
    /// <summary>Adds the classifier and <c>train</c> model source and binds section <c>Sluice:Classification</c> (validated at start).</summary>
    public static IServiceCollection AddSluiceClassification(this IServiceCollection services)
    {
        services.AddOptions<ClassificationOptions>().BindConfiguration(ClassificationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClassificationOptions>, ClassificationOptionsValidator>());
        services.TryAddSingleton<ClassifierReloadSignal>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, ClassificationModelSource>());
        return services;
    }
}
