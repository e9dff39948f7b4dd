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
        services.AddOptions<GradingOptions>().BindConfiguration(GradingOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, GradingModelSource>());
        return services;
    }
}
