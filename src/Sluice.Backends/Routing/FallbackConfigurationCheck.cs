using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Backends.Routing;

/// <summary>
/// Logs at start every <c>Fallback</c> that cannot work as configured (unknown target, loop). A warning, not a
/// startup error: the target may be a model whose file is missing today, and the primary still serves.
/// </summary>
internal sealed partial class FallbackConfigurationCheck(FallbackRouter router, ILogger<FallbackConfigurationCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in router.ConfigurationProblems())
        {
            Log.FallbackMisconfigured(logger, problem);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Fallback ignored: {Problem}")]
        public static partial void FallbackMisconfigured(ILogger logger, string problem);
    }
}
