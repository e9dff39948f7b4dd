using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Grading.Serving;

namespace Sluice.Grading.Tests.Serving;

public sealed class EssayGraderModelTests
{
    private static readonly EssayGraderModel s_model = new(TestGrader.Instance, new GradingOptions());

    private static object ParseOrFail(object input)
    {
        Assert.True(s_model.TryParseInput(JsonSerializer.SerializeToElement(input), out var parsed, out var error), error.Message);
        return parsed;
    }

    [Fact]
    public void Descriptor_IsDeterministicBatchModelWithModelVersion()
    {
        Assert.Equal("essay-grader", s_model.Descriptor.Name);
        Assert.Equal(ModelKind.Batch, s_model.Descriptor.Kind);
        Assert.True(s_model.Descriptor.Deterministic);
        Assert.Equal(TestGrader.Instance.Version, s_model.Descriptor.Version);
    }

    [Fact]
    public async Task InferAsync_Batch_ReportsEveryStageInOrderAndSetsLibraryResult()
    {
        var inputs = new[]
        {
            ParseOrFail(new { prompt_id = 1, text = TestGrader.SampleEssay }),
            ParseOrFail(new { prompt_id = (int?)null, text = "Patience is waiting calmly. I waited for my turn at the store." }),
            ParseOrFail(new { prompt_id = 7, prompt_text = "Write about patience.", text = "Write about patience. I was patient when my sister was sick." }),
        };
        var batch = new RecordingBatch(inputs);

        await s_model.InferAsync(batch, CancellationToken.None);

        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(GradingStages.All, batch.Progress.Where(p => p.Index == i).Select(p => p.Stage));
            var expected = GradeResultJson.ToJson(TestGrader.Instance.Grade(((EssayInput)inputs[i]).ToRequest()));
            Assert.Equal(expected, batch.Results[i]!.Value.GetRawText());
        }
    }

    [Fact]
    public async Task InferAsync_Result_HasDocumentedShape()
    {
        var batch = new RecordingBatch([ParseOrFail(new { prompt_id = 1, text = TestGrader.SampleEssay })]);

        await s_model.InferAsync(batch, CancellationToken.None);

        var root = batch.Results[0]!.Value;
        Assert.Equal("essay-grader", root.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("score").GetProperty("score").ValueKind);
        Assert.Equal("content", root.GetProperty("traits")[0].GetProperty("key").GetString());
        var suggestion = root.GetProperty("suggestions")[0];
        foreach (var name in new[] { "category", "rule", "message", "start", "length", "replacement" })
        {
            Assert.True(suggestion.TryGetProperty(name, out _), name);
        }

        Assert.True(root.GetProperty("statistics").GetProperty("flesch_kincaid_grade").GetDouble() > 0);
        Assert.True(root.GetProperty("drivers").GetArrayLength() > 0);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("flags").ValueKind);
    }

    [Fact]
    public async Task InferAsync_CancelledItem_FailsOnlyThatItem()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var batch = new RecordingBatch(
            [ParseOrFail(new { prompt_id = 2, text = "Libraries should keep every book." }), ParseOrFail(new { prompt_id = 2, text = "Censorship is wrong." })],
            [cts.Token, CancellationToken.None]);

        await s_model.InferAsync(batch, CancellationToken.None);

        Assert.NotNull(batch.Errors[0]);
        Assert.NotNull(batch.Results[1]);
    }

    [Fact]
    public async Task InferAsync_GarbageInputs_GradedWithFlagsNeverThrown()
    {
        var rng = new Random(5);
        var binary = new string(Enumerable.Range(0, 2000).Select(_ => (char)rng.Next(0, 0xFFFF)).ToArray());
        var batch = new RecordingBatch(
        [
            ParseOrFail(new { prompt_id = 4, text = binary }),
            ParseOrFail(new { prompt_id = 4, text = "Ceci n'est pas un essai en anglais, mais en français, avec des mots français." }),
            ParseOrFail(new { prompt_id = 4, text = "\u0000\u0001\u0002 ok" }),
        ]);

        await s_model.InferAsync(batch, CancellationToken.None);

        Assert.All(batch.Results, r => Assert.NotNull(r));
        Assert.All(batch.Results, r => Assert.True(r!.Value.GetProperty("flags").GetArrayLength() > 0));
    }

    [Fact]
    public async Task WarmUpAsync_Completes()
    {
        await s_model.WarmUpAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AddSluiceGrading_RegistersSourceAndBindsOptions()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Grading:MaxWords"] = "5000",
            ["Sluice:Grading:MaxBatchSize"] = "16",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(config);

        services.AddSluiceGrading();
        services.AddSluiceGrading(); // idempotent
        using var provider = services.BuildServiceProvider();

        Assert.Equal(5000, provider.GetRequiredService<IOptions<GradingOptions>>().Value.MaxWords);
        var source = Assert.Single(provider.GetServices<IModelSource>());
        var candidate = Assert.Single(source.Discover());
        Assert.Equal("essay-grader", candidate.Name);
        Assert.Equal(16, candidate.Defaults.MaxBatchSize);
        using var model = await candidate.LoadAsync(CancellationToken.None);
        Assert.Equal(candidate.Version, model.Descriptor.Version);
    }
}
