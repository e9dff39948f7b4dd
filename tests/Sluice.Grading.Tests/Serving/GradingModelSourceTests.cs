using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;
using Sluice.Grading.Scoring;
using Sluice.Grading.Serving;

namespace Sluice.Grading.Tests.Serving;

/// <summary>The duration the essay grader declares for a full queue's Retry-After follows its configured batch size.</summary>
public sealed class GradingModelSourceTests
{
    [Fact]
    public void Discover_MaxBatchSizeConfiguredForTheModel_ExpectsTwoMsPerEssayOfThatBatch()
    {
        // Sluice:Models:essay-grader:MaxBatchSize overrides Sluice:Grading:MaxBatchSize, which the declared duration followed.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Models:essay-grader:MaxBatchSize"] = "4",
        }).Build();
        var registry = new ModelRegistry([new GradingModelSource(Options.Create(new GradingOptions { MaxBatchSize = 64 }))], configuration);

        Assert.True(registry.TryGet(EssayGrader.ModelName, out var entry));
        Assert.Equal(4, entry.Settings.MaxBatchSize);
        Assert.Equal(8, entry.Settings.ExpectedBatchMs);
    }
}
