using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Server.Tasks;

/// <summary>
/// Logs at start every task model setting that cannot work. A warning, not a startup error: the other tasks and
/// every other API still serve, and the affected tasks answer 503 naming the setting.
/// </summary>
internal sealed partial class TaskModelCheck(TaskModelResolver models, TaskCatalog catalog, ILogger<TaskModelCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in models.ConfigurationProblems(catalog))
        {
            Log.TaskModelMisconfigured(logger, problem);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2601, Level = LogLevel.Warning, Message = "Task model misconfigured: {Problem}")]
        public static partial void TaskModelMisconfigured(ILogger logger, string problem);
    }
}
