using System.Globalization;
using Sluice.Engine.Cli;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Cli;

public sealed class EngineBenchRunnerTests
{
    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Run_SeveralBatchSizes_PrintsOneRowEachWithPositiveSpeed()
    {
        using var model = TestModels.LoadBin();
        var output = new StringWriter();

        var results = new EngineBenchRunner(model, 2).Run([1, 4], 8, output, repeats: 2);

        Assert.Equal([1, 4], results.Select(r => r.Batch));
        Assert.All(results, r => Assert.True(r.TokensPerSecond > 0 && r.Seconds <= r.MedianSeconds));
        Assert.Equal(results[1].Batch * results[1].Steps / results[1].Seconds, results[1].TokensPerSecond, 6);
        Assert.Contains("speed-up vs batch 1", output.ToString());
        var best = results[1].TokensPerSecond / results[0].TokensPerSecond;
        var ofMedians = results[1].MedianTokensPerSecond / results[0].MedianTokensPerSecond;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{best:F2}x ({ofMedians:F2}x)"), output.ToString());
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Run_BatchAsLargeAsTheVocabulary_RunsWithTokensInRange()
    {
        using var model = TestModels.LoadBin();
        var batch = model.Config.VocabSize + 1; // every start token must wrap into the vocabulary

        var results = new EngineBenchRunner(model, 2).Run([batch], 2, new StringWriter(), repeats: 1);

        Assert.Equal(batch, Assert.Single(results).Batch);
        Assert.True(results[0].TokensPerSecond > 0);
    }
}
