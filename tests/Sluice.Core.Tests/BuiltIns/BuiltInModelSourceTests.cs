using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Core.BuiltIns;
using Sluice.Core.Scheduling;
using Sluice.Testing;

namespace Sluice.Core.Tests.BuiltIns;

/// <summary>
/// The duration sleep-batch declares for the Retry-After of a full queue, once configuration has been applied: it
/// follows the configured batch size, unless an operator set the duration itself.
/// </summary>
public sealed class BuiltInModelSourceTests
{
    [Fact]
    public void Discover_SleepBatchWithDefaults_ExpectsAFullBatchOf32()
    {
        var entry = SleepBatch([]);

        Assert.Equal(32, entry.Settings.MaxBatchSize);
        Assert.Equal(20 + (1 * 32), entry.Settings.ExpectedBatchMs);
    }

    [Fact]
    public void Discover_SleepBatchWithSmallerMaxBatchSize_ExpectsABatchOfThatSize()
    {
        // It declared a + b·32 whatever the batch size, so a queue of batches of 4 was told to wait as for batches of 32.
        var entry = SleepBatch(new() { ["Sluice:Models:sleep-batch:MaxBatchSize"] = "4", ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "100" });

        Assert.Equal(4, entry.Settings.MaxBatchSize);
        Assert.Equal(20 + (100 * 4), entry.Settings.ExpectedBatchMs);
    }

    [Fact]
    public void Discover_SleepBatchWithExpectedBatchMsConfigured_TakesTheConfiguredDuration()
    {
        var entry = SleepBatch(new() { ["Sluice:Models:sleep-batch:MaxBatchSize"] = "4", ["Sluice:Models:sleep-batch:ExpectedBatchMs"] = "750" });

        Assert.Equal(750, entry.Settings.ExpectedBatchMs);
    }

    private static ModelEntry SleepBatch(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new BuiltInOptions();
        configuration.GetSection("Sluice:BuiltIns").Bind(options);
        var registry = new ModelRegistry([new BuiltInModelSource(Options.Create(options), new ManualTimeProvider())], configuration);
        Assert.True(registry.TryGet("sleep-batch", out var entry));
        return entry;
    }
}
