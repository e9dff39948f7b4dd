using Sluice.Core.Configuration;
using Sluice.Testing;

namespace Sluice.Core.Tests.Configuration;

public sealed class ConfigurationProblemLogTests
{
    private sealed class Source(params string[] problems) : IConfigurationProblemSource
    {
        public IReadOnlyList<string> ConfigurationProblems() => problems;
    }

    [Fact]
    public async Task StartAsync_TwoSourcesWithProblems_LogsEachAsAWarning()
    {
        var logger = new RecordingLogger<ConfigurationProblemLog>();
        var log = new ConfigurationProblemLog([new Source("A:B = 'x' names no model"), new Source(), new Source("C:D loops", "E:F is not generative")], logger);

        await log.StartAsync(CancellationToken.None);

        Assert.Equal(
            ["Configuration problem: A:B = 'x' names no model", "Configuration problem: C:D loops", "Configuration problem: E:F is not generative"],
            logger.Warnings);
    }
}
