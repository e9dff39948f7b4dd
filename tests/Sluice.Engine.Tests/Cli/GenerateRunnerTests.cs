using Sluice.Engine.Cli;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Cli;

public sealed class GenerateRunnerTests
{
    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer, TestModels.Golden)]
    public void Run_GoldenPromptsGreedy_MatchesLlama2cStdoutAndTokens()
    {
        using var model = TestModels.LoadBin();
        var runner = new GenerateRunner(model, threads: 2);
        foreach (var golden in TestModels.ReadGolden())
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            runner.Run(golden.Prompt, temperature: 0f, topP: 0.9f, golden.Steps, seed: 42, printTokens: true, stdout, stderr);

            Assert.Equal(string.Join(' ', golden.Tokens) + "\n", stderr.ToString().Replace("\r\n", "\n"));
            Assert.Equal(golden.Text, stdout.ToString());
        }
    }

    [SharedDataFact(TestModels.Gguf, TestModels.Golden)]
    public void Run_GgufCopyGreedy_SameTokensAsGolden()
    {
        using var model = TestModels.LoadGguf();
        var runner = new GenerateRunner(model, threads: 2);
        foreach (var golden in TestModels.ReadGolden())
        {
            var tokens = runner.Run(golden.Prompt, 0f, 0.9f, golden.Steps, 42, printTokens: true, new StringWriter(), new StringWriter());

            Assert.Equal(golden.Tokens, tokens);
        }
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Run_PromptLongerThanSteps_ThrowsClearError()
    {
        using var model = TestModels.LoadBin();
        var runner = new GenerateRunner(model, threads: 1);

        var ex = Assert.Throws<ArgumentException>(() => runner.Run("The little dog ran to the park.", 0f, 0.9f, 5, 1, false, new StringWriter(), new StringWriter()));

        Assert.Contains("only 5 positions", ex.Message);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Run_SameSeedSampled_SameText()
    {
        using var model = TestModels.LoadBin();
        var runner = new GenerateRunner(model, threads: 2);
        var a = new StringWriter();
        var b = new StringWriter();

        runner.Run("Once", 1f, 0.9f, 80, 123, false, a, new StringWriter());
        runner.Run("Once", 1f, 0.9f, 80, 123, false, b, new StringWriter());

        Assert.Equal(a.ToString(), b.ToString());
        Assert.StartsWith("Once", a.ToString());
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Run_NegativeTemperature_IsGreedyAsInLlama2c()
    {
        using var model = TestModels.LoadBin();
        var runner = new GenerateRunner(model, threads: 2);

        var negative = runner.Run("Once", -1f, 0.9f, 60, 7, true, new StringWriter(), new StringWriter());
        var greedy = runner.Run("Once", 0f, 0.9f, 60, 7, true, new StringWriter(), new StringWriter());

        Assert.Equal(greedy, negative);
    }

    [SharedDataTheory(TestModels.Bin, TestModels.Tokenizer)]
    [InlineData(-0.5f)]
    [InlineData(1.5f)]
    public void Run_TopPOutsideZeroToOne_SamplesAsTopP09(float topP)
    {
        using var model = TestModels.LoadBin();
        var runner = new GenerateRunner(model, threads: 2);

        var corrected = runner.Run("Once", 1f, topP, 80, 123, true, new StringWriter(), new StringWriter());
        var default09 = runner.Run("Once", 1f, 0.9f, 80, 123, true, new StringWriter(), new StringWriter());

        Assert.Equal(default09, corrected);
    }
}
