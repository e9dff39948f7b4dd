using Sluice.Grading.Scoring;

namespace Sluice.Grading.Tests.Scoring;

public sealed class ModelStoreTests
{
    [Fact]
    public void LoadEmbedded_CommittedModel_HasEveryPromptAndVersion()
    {
        var model = ModelStore.LoadEmbedded();

        Assert.NotNull(model);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], model.Prompts.Select(p => p.Prompt));
        Assert.Matches("^[0-9a-f]{12}$", model.Version);
        Assert.Equal(ModelStore.EmbeddedVersion(), model.Version);
        Assert.All(model.Prompts, p => Assert.Equal(1 + Sluice.Grading.Data.PromptScale.Get(p.Prompt).Traits.Count, p.Heads.Length));
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsWithStableBytes()
    {
        var model = ModelStore.LoadEmbedded()!;
        var a = Path.GetTempFileName();
        var b = Path.GetTempFileName();
        try
        {
            ModelStore.Save(model, a);
            ModelStore.Save(ModelStore.Load(a), b);

            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
            Assert.Equal(model.Version, ModelStore.Load(a).Version);
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }

    [Fact]
    public void EmbeddedModelFile_IsSmall()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Sluice.Grading", "Model", ModelStore.DefaultFileName);

        // About 60 KB of it are the order detector's word vectors (4 bits per dimension).
        Assert.True(new FileInfo(path).Length < 450 * 1024, "the committed model must stay a few hundred KB");
    }
}
