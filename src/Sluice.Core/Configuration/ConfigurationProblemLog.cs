using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Core.Configuration;

/// <summary>
/// Logs every <see cref="IConfigurationProblemSource"/> problem as a warning at start. Registered after the model
/// host, so the sources judge the models that are really there.
/// </summary>
internal sealed partial class ConfigurationProblemLog(IEnumerable<IConfigurationProblemSource> sources, ILogger<ConfigurationProblemLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            foreach (var problem in source.ConfigurationProblems())
            {
                Log.Problem(logger, problem);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Configuration problem: {Problem}")]
        public static partial void Problem(ILogger logger, string problem);
    }
}
