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
}
