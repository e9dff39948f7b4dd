using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Classification.Serving;

namespace Sluice.Classification.Tests.Serving;

/// <summary>
/// Where the served classifier looks for its file (without the committed default, whose metadata names itself), and
/// where training data may come from.
/// </summary>
public sealed class ClassificationModelSourceTests
{
    [Fact]
    public async Task Discover_DataDirSetAndModelDirNot_ClassifierFileUnderTheDataDir()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-clf-" + Guid.NewGuid().ToString("N"));

        var path = await LoadedPathAsync(new ClassificationOptions { UseCommittedModel = false }, dataDir);

        Assert.Equal(Path.Combine(dataDir, "classifier", "text-classifier.clf"), path);
    }

    [Fact]
    public async Task Discover_ModelDirSet_ModelDirWinsOverTheDataDir()
    {
        var modelDir = Path.Combine(Path.GetTempPath(), "sluice-clf-" + Guid.NewGuid().ToString("N"));

        var path = await LoadedPathAsync(new ClassificationOptions { ModelDir = modelDir, UseCommittedModel = false }, "/elsewhere");

        Assert.Equal(Path.Combine(modelDir, "text-classifier.clf"), path);
    }

    [Fact]
    public void EffectiveTrainingRoots_DataDirSet_TrainingFolderUnderIt()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-clf-" + Guid.NewGuid().ToString("N"));

        var roots = new ClassificationOptions().ResolvedFor(dataDir).EffectiveTrainingRoots();

        Assert.Contains(Path.Combine(dataDir, "training"), roots);
        Assert.DoesNotContain(Path.GetFullPath(Path.Combine("data", "training")), roots);
    }

    private static async Task<string> LoadedPathAsync(ClassificationOptions options, string dataDir)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Storage:DataDir"] = dataDir })
            .Build();
        var source = new ClassificationModelSource(Options.Create(options), configuration, new ClassifierReloadSignal(), TimeProvider.System);

        var candidate = source.Discover().Single(c => c.Name == options.ModelName);
        using var model = await candidate.LoadAsync(CancellationToken.None);
        return model.Descriptor.Metadata!["path"];
    }
}
