using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Grading.Scoring;
using Sluice.Grading.Serving;

namespace Sluice.Grading.Tests.Serving;

/// <summary>
/// The duration the essay grader declares for a full queue's Retry-After follows its configured batch size; a
/// <c>Sluice:Grading:ModelPath</c> that is not a model file fails its load saying what it is instead.
/// </summary>
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

    [Fact]
    public async Task LoadAsync_ModelPathIsADirectory_FailsSayingSoRatherThanNotFound()
    {
        var folder = Directory.CreateTempSubdirectory("sluice-grader-path-").FullName;
        try
        {
            var candidate = Assert.Single(new GradingModelSource(Options.Create(new GradingOptions { ModelPath = folder })).Discover());

            var ex = await Assert.ThrowsAnyAsync<ModelFileException>(async () => await candidate.LoadAsync(CancellationToken.None));

            Assert.Equal($"Sluice:Grading:ModelPath = '{folder}': {folder} is a directory, not a grading model file", ex.Message);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public async Task LoadAsync_ModelPathNamesNoFile_FailsNamingTheSettingAndThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "sluice-no-such-grader-" + Guid.NewGuid().ToString("N") + ".model");
        var candidate = Assert.Single(new GradingModelSource(Options.Create(new GradingOptions { ModelPath = path })).Discover());

        var ex = await Assert.ThrowsAnyAsync<ModelFileException>(async () => await candidate.LoadAsync(CancellationToken.None));

        Assert.Equal($"Sluice:Grading:ModelPath = '{path}': grading model file not found: {path}", ex.Message);
        Assert.Equal("missing", candidate.Version);
    }
}
