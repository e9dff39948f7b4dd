using Sluice.Grading.Features;
using Sluice.Grading.Scoring;
using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Scoring;

public sealed class PromptModelTests
{
    [Fact]
    public void Inputs_CommittedModel_AppendInteractionTermsAndEffectsSumToPrediction()
    {
        var model = ModelStore.LoadEmbedded()!;
        var analysis = TestGrader.Analyzer.Spelling(TestGrader.SampleEssay);
        EssayAnalyzer.Grammar(analysis);
        foreach (var prompt in model.Prompts)
        {
            var m = prompt.Interactions.Length;
            Assert.InRange(m, 1, prompt.BaseInputCount);
            Assert.All(prompt.Interactions, j => Assert.InRange(j, 0, prompt.BaseInputCount - 1));
            var features = FeatureExtractor.Compute(analysis.Doc, analysis.Errors, prompt.Profile);
            var z = prompt.Inputs(features, prompt.NgramScore(NgramExtractor.Count(analysis.Doc)));
            Assert.Equal(prompt.BaseInputCount + (m * (m + 1) / 2), z.Length);
            Assert.All(prompt.Heads, h => Assert.Equal(z.Length, h.Weights.Length));

            // Drivers attribute each interaction term to its inputs, so the per-input effects still add up to the head.
            var head = prompt.Heads[0];
            var effects = prompt.BaseEffects(z, head.Weights);
            Assert.Equal(prompt.BaseInputCount, effects.Length);
            Assert.Equal(Ridge.Predict(z, head.Weights, head.Bias) - head.Bias, effects.Sum(), 9);
        }
    }

    [Fact]
    public void Inputs_ExtremeValues_InteractionTermsClampedAtThreeStandardDeviations()
    {
        var prompt = ModelStore.LoadEmbedded()!.Prompts[0];
        var features = prompt.Means.Select((mean, j) => mean + (100 * Math.Max(prompt.Stds[j], 1))).ToArray();
        var z = prompt.Inputs(features, prompt.NgramScoreMean + (100 * prompt.NgramScoreStd));
        var m = prompt.Interactions.Length;
        var extra = z[prompt.BaseInputCount..];
        Assert.Equal(m * (m + 1) / 2, extra.Length);
        Assert.All(extra, v => Assert.InRange(v, -9.0, 9.0));
    }
}
