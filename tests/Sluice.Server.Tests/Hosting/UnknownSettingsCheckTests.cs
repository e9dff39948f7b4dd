using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Configuration;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Hosting;

/// <summary>A key its section does not have (a misspelt setting) is a warning at start, not silently its default.</summary>
public sealed class UnknownSettingsCheckTests
{
    [Fact]
    public async Task ConfigurationProblems_MisspeltSettingsOfFixedSections_NamedWithTheSettingsTheSectionHas()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Cache:MaxByte"] = "5",
            ["Sluice:Queue:Capacity"] = "abc",
            ["Sluice:Cache:maxbytes"] = "1048576",
            ["Sluice:Queue:Aging"] = "00:00:01",
        });

        var problems = server.Services.GetServices<IConfigurationProblemSource>().SelectMany(s => s.ConfigurationProblems()).ToList();

        Assert.Contains("Sluice:Cache:MaxByte is not a setting of Sluice:Cache (its settings: Enabled, MaxBytes); it is ignored.", problems);
        Assert.Contains(problems, p => p.StartsWith("Sluice:Queue:Capacity is not a setting of Sluice:Queue (its settings: ", StringComparison.Ordinal) && p.Contains("Aging", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("maxbytes", StringComparison.Ordinal) || p.Contains("Queue:Aging", StringComparison.Ordinal));
    }
}
