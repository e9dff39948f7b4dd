using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Models;
using Sluice.Grading;
using Sluice.Grading.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the essay grader with the server.</summary>
public static class GradingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <c>essay-grader</c> model source and binds its options from configuration section
    /// <c>Sluice:Grading</c> (ModelPath, WordListPath, HunspellPath, MaxWords, MaxBatchSize, MaxQueueDelayMs).
    /// </summary>
    public static IServiceCollection AddSluiceGrading(this IServiceCollection services)
    {
        // Validated on start: unchecked, a MaxWords of 0 or less refused every essay, and a MaxQueueDelayMs of NaN left
        // every essay queued (the model's defaults are not range-checked as configured Sluice:Models settings are).
        services.AddOptions<GradingOptions>().BindConfiguration(GradingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, GradingModelSource>());
        return services;
    }
}
