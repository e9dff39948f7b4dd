using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Server.Tasks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the task templates and their model choice (<c>Sluice:Tasks</c>).</summary>
public static class TasksServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceTasks(this IServiceCollection services)
    {
        services.AddOptions<TaskOptions>().BindConfiguration(TaskOptions.SectionName).ValidateOnStart();
        services.TryAddSingleton<TaskCatalog>();
        services.TryAddSingleton<TaskModelResolver>();
        services.AddConfigurationProblemSource<TaskModelResolver>();
        return services;
    }
}
