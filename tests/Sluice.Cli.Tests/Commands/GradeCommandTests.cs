using Sluice.Cli.Commands;
using Sluice.Grading;

namespace Sluice.Cli.Tests.Commands;

public sealed class GradeCommandTests
{
    [Theory]
    [InlineData(0, "0 grammar/punctuation issues")]
    [InlineData(1, "1 grammar/punctuation issue")]
    [InlineData(2, "2 grammar/punctuation issues")]
    public void Count_ByNumber_PluralizesTheNoun(int n, string expected)
    {
        Assert.Equal(expected, GradeCommand.Count(n, "grammar/punctuation issue"));
    }

    [Fact]
    public async Task RunAsync_BinaryGarbageEssay_PrintsNoControlCharacters()
    {
        // Random bytes hold escape sequences and bells; suggestions quote the essay and must not replay them to the terminal.
        var bytes = new byte[4000];
        new Random(7).NextBytes(bytes);
        var file = Path.Combine(Path.GetTempPath(), $"sluice-garbage-{Guid.NewGuid():N}.txt");
        await File.WriteAllBytesAsync(file, bytes);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await CliRunner.RunAsync(["grade", file], output, error);

            Assert.True(code == 0, error.ToString());
            var text = output.ToString();
            Assert.Contains("FLAG binary_or_garbage", text);
            Assert.Contains("\\u00", text);
            foreach (var ch in text)
            {
                Assert.True(!char.IsControl(ch) || ch is '\n' or '\r', $"control character U+{(int)ch:X4} in the output");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("a\u001b[2Jb\u0007", "a\\u001b[2Jb\\u0007")]
    [InlineData("tab\there", "tab\\u0009here")]
    public void Printable_ControlCharacters_AreWrittenAsEscapes(string text, string expected)
    {
        Assert.Equal(expected, GradeCommand.Printable(text));
    }

    [Fact]
    public async Task RunAsync_PromptTextOverTheServerLimit_UsageErrorExit2()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-prompt-text-");
        try
        {
            var essay = Path.Combine(dir.FullName, "essay.txt");
            var prompt = Path.Combine(dir.FullName, "prompt.txt");
            await File.WriteAllTextAsync(essay, "Dear local newspaper, computers help people learn.");
            await File.WriteAllTextAsync(prompt, new string('p', EssayGrader.MaxPromptTextChars + 1));
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await CliRunner.RunAsync(["grade", essay, "--prompt-text", prompt], output, error);

            Assert.Equal(2, code);
            Assert.Equal("error: --prompt-text is 20,001 characters; the limit is 20,000", error.ToString().Trim());
            Assert.Equal("", output.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void MaxPromptTextChars_ServerDefault_IsTheSharedConstant()
    {
        // The CLI checks the constant; the server checks its options: both must say 20,000 unless configured.
        Assert.Equal(20_000, EssayGrader.MaxPromptTextChars);
        Assert.Equal(EssayGrader.MaxPromptTextChars, new GradingOptions().MaxPromptTextChars);
    }
}
