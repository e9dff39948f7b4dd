using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Core.BuiltIns;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Testing;

namespace Sluice.Core.Tests.Scheduling;

/// <summary>A <c>Sluice:Models:{name}</c> section for a model the server does not have is reported, not silently ignored.</summary>
public sealed class ModelRegistryConfigurationTests
{
    [Fact]
    public void ConfigurationProblems_SettingsForAnUnknownModel_NamesTheSection()
    {
        var registry = Registry(new() { ["Sluice:Models:sleep-bacth:MaxBatchSize"] = "8", ["Sluice:Models:echo:MaxBatchSize"] = "4" });

        var problem = Assert.Single(registry.ConfigurationProblems());

        Assert.StartsWith("Sluice:Models:sleep-bacth names no model", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigurationProblems_KnownModelsInAnyCaseAndDisabledOnes_NoProblem()
    {
        var registry = Registry(new()
        {
            ["Sluice:Models:Echo:MaxBatchSize"] = "4",
            ["Sluice:Models:count:Enabled"] = "false",
            ["Sluice:Models:not-on-this-machine:Enabled"] = "false",
        });

        Assert.Empty(registry.ConfigurationProblems());
        Assert.False(registry.TryGet("count", out _));
    }

    [Fact]
    public void ConfigurationProblems_MisspeltSettingOfAKnownModel_NamedWithTheModelSettings()
    {
        var registry = Registry(new()
        {
            ["Sluice:Models:echo:MaxBatchSzie"] = "8",
            ["Sluice:Models:echo:maxqueuedelayms"] = "1",
            ["Sluice:Models:sleep-batch:Enabled"] = "true",
            ["Sluice:Models:sleep-batch:ExpectedBatchMs"] = "30",
        });

        var problem = Assert.Single(registry.ConfigurationProblems());

        Assert.Equal(
            "Sluice:Models:echo:MaxBatchSzie is not a setting of a model (its settings: Enabled, MaxBatchSize, MaxQueueDelayMs, MaxNumSeqs, MaxQueueDepth, MaxAttempts, DefaultDeadlineMs, ExpectedBatchMs); it is ignored. Did you mean Sluice:Models:echo:MaxBatchSize?",
            problem);
        Assert.True(registry.TryGet("echo", out var echo));
        Assert.Equal(1, echo.Settings.MaxQueueDelayMs);
    }

    [Theory]
    [InlineData("maxnumseq", " Did you mean Sluice:Models:echo:MaxNumSeqs?")]
    [InlineData("Enbaled", " Did you mean Sluice:Models:echo:Enabled?")]
    [InlineData("MaxQueueDeptt", " Did you mean Sluice:Models:echo:MaxQueueDepth?")]
    [InlineData("Threads", "")]
    public void ConfigurationProblems_UnknownSettingOfAKnownModel_NamesTheClosestSettingWithinTwoEdits(string key, string guess)
    {
        var registry = Registry(new() { ["Sluice:Models:echo:" + key] = "8" });

        var problem = Assert.Single(registry.ConfigurationProblems());

        Assert.EndsWith("; it is ignored." + guess, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EveryListedModelSetting_ReadIntoTheModelsSettingsWithoutAWarning()
    {
        // The list is derived from SchedulerSettings: a property added there but not read by Bind would be listed as a
        // setting and accepted without a word while it did nothing.
        var settings = ModelRegistry.ModelSettings.Where(name => name != "Enabled").ToList();
        var registry = Registry(settings.ToDictionary(name => "Sluice:Models:echo:" + name, _ => (string?)"7"));

        Assert.Empty(registry.ConfigurationProblems());
        Assert.True(registry.TryGet("echo", out var echo));
        Assert.All(settings, name => Assert.Equal(7.0, Convert.ToDouble(typeof(SchedulerSettings).GetProperty(name)!.GetValue(echo.Settings), CultureInfo.InvariantCulture)));
        Assert.Equal(
            typeof(SchedulerSettings).GetProperties().Select(p => p.Name).Where(name => name != nameof(SchedulerSettings.ExpectedItemMs)).Order(StringComparer.Ordinal),
            settings.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("MaxQueueDelayMs", "NaN")]
    [InlineData("ExpectedBatchMs", "NaN")]
    [InlineData("MaxQueueDelayMs", "-Infinity")]
    public void Constructor_NonFiniteMillisecondSetting_RefusedNamingTheSetting(string setting, string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Registry(new() { ["Sluice:Models:sleep-batch:" + setting] = value }));

        Assert.Equal($"Configuration Sluice:Models:sleep-batch:{setting} = '{value}' is invalid: expected a number from 0 to {(setting == "MaxQueueDelayMs" ? "60000" : "3600000")}.", ex.Message);
    }

    private static ModelRegistry Registry(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ModelRegistry([new BuiltInModelSource(Options.Create(new BuiltInOptions()), new ManualTimeProvider())], configuration);
    }
}
