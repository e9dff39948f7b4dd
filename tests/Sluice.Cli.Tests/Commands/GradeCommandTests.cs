using System.Text;
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

    [Theory]
    [InlineData("abcdef", 0, 6, 4, "abcd")]
    [InlineData("ab\U0001F600cd", 0, 6, 3, "ab\U0001F600")]
    [InlineData("ab\U0001F600cd", 0, 6, 2, "ab")]
    [InlineData("x ab\U0001F600", 2, 4, 3, "ab\U0001F600")]
    [InlineData("ab\U0001F600", 0, 4, 40, "ab\U0001F600")]
    public void Quote_SpanLongerThanTheMaximum_NeverEndsInsideASurrogatePair(string text, int start, int length, int max, string expected)
    {
        Assert.Equal(expected, GradeCommand.Quote(text, start, length, max));
    }

    [Theory]
    [InlineData("Jose\u0301 came", 0, 10, 4, "Jose\u0301")]
    [InlineData("Zoe\u0308\u0301 came", 0, 9, 3, "Zoe\u0308\u0301")]
    [InlineData("Jose\u0301", 0, 4, 4, "Jose")]
    public void Quote_SpanLongerThanTheMaximum_KeepsTheLastLettersAccents(string text, int start, int length, int max, string expected)
    {
        Assert.Equal(expected, GradeCommand.Quote(text, start, length, max));
    }

    [Fact]
    public async Task RunAsync_EmojiAtTheQuoteCut_PrintsTheEmojiNotAReplacementCharacter()
    {
        // A long sentence quoted from its start, with an emoji across the 40th UTF-16 code unit of the quote.
        var essay = string.Concat(Enumerable.Repeat("Word ", 6)) + new string('x', 9) + "\U0001F600" + string.Concat(Enumerable.Repeat(
            " more words here in this very long sentence that goes on and on and on without stopping because that is how it is written by a student who does not like full stops at all and keeps going with and and and", 3));
        var file = Path.Combine(Path.GetTempPath(), $"sluice-emoji-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, essay);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await CliRunner.RunAsync(["grade", file], output, error);

            Assert.True(code == 0, error.ToString());
            var line = output.ToString().Split('\n').Single(l => l.Contains("[style/long_sentence] @0+", StringComparison.Ordinal));
            Assert.Contains("xxxxxxxxx\U0001F600\"", line, StringComparison.Ordinal);
            Assert.True(line.EnumerateRunes().All(r => r != Rune.ReplacementChar), line);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task RunAsync_EssayAndPromptTextBothFromStandardInput_UsageErrorExit2()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["grade", "-", "--prompt-text", "-"], output, error);

        Assert.Equal(2, code);
        Assert.Contains("cannot both be read from standard input", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void MaxPromptTextChars_ServerDefault_IsTheSharedConstant()
    {
        // The CLI checks the constant; the server checks its options: both must say 20,000 unless configured.
        Assert.Equal(20_000, EssayGrader.MaxPromptTextChars);
        Assert.Equal(EssayGrader.MaxPromptTextChars, new GradingOptions().MaxPromptTextChars);
    }

    [Fact]
    public async Task RunAsync_WindowsAnsiEssayFile_GradedAsTheSameTextInUtf8()
    {
        // Notepad's and Word's "ANSI" is Windows-1252: curly quotes, dashes and accented names are single bytes that are
        // not valid UTF-8.
        const string essay = "Dear Mr. Jos\u00E9 Mu\u00F1oz,\n\nI think computers don\u2019t hurt people \u2014 they help them. " +
            "My friend Zo\u00EB says \u201Cit\u2019s the best tool we have\u201D and I agree with her. Thank you for reading.";
        var dir = Directory.CreateTempSubdirectory("sluice-ansi-");
        try
        {
            var ansi = Path.Combine(dir.FullName, "ansi.txt");
            var utf8 = Path.Combine(dir.FullName, "utf8.txt");
            await File.WriteAllBytesAsync(ansi, System.Text.CodePagesEncodingProvider.Instance.GetEncoding(1252)!.GetBytes(essay));
            await File.WriteAllTextAsync(utf8, essay);
            var fromAnsi = new StringWriter();
            var fromUtf8 = new StringWriter();
            var error = new StringWriter();

            var codeAnsi = await CliRunner.RunAsync(["grade", ansi, "--prompt", "1", "--json"], fromAnsi, error);
            var codeUtf8 = await CliRunner.RunAsync(["grade", utf8, "--prompt", "1", "--json"], fromUtf8, error);

            Assert.True(codeAnsi == 0 && codeUtf8 == 0, error.ToString());
            Assert.DoesNotContain("\uFFFD", fromAnsi.ToString(), StringComparison.Ordinal);
            Assert.Equal(fromUtf8.ToString(), fromAnsi.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x4A, 0x6F, 0x73, 0xC3, 0xA9 })] // UTF-8 with a byte order mark
    [InlineData(new byte[] { 0x4A, 0x6F, 0x73, 0xC3, 0xA9 })] // UTF-8
    [InlineData(new byte[] { 0xFF, 0xFE, 0x4A, 0x00, 0x6F, 0x00, 0x73, 0x00, 0xE9, 0x00 })] // UTF-16 LE
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x4A, 0x00, 0x6F, 0x00, 0x73, 0x00, 0xE9 })] // UTF-16 BE
    [InlineData(new byte[] { 0x4A, 0x6F, 0x73, 0xE9 })] // Windows-1252 / Latin-1
    [InlineData(new byte[] { 0x4A, 0x00, 0x6F, 0x00, 0x73, 0x00, 0xE9, 0x00 })] // UTF-16 LE without a byte order mark
    [InlineData(new byte[] { 0x00, 0x4A, 0x00, 0x6F, 0x00, 0x73, 0x00, 0xE9 })] // UTF-16 BE without a byte order mark
    public void Decode_EncodingsStudentsSave_TheSameText(byte[] bytes)
    {
        Assert.Equal("Jos\u00E9", GradeCommand.Decode(bytes));
    }

    [Fact]
    public void Decode_Windows1252Punctuation_TheCharactersItStandsFor()
    {
        Assert.Equal("don\u2019t \u201Cyes\u201D \u2013 \u2014 \u2026 \u20AC", GradeCommand.Decode([
            0x64, 0x6F, 0x6E, 0x92, 0x74, 0x20, 0x93, 0x79, 0x65, 0x73, 0x94, 0x20, 0x96, 0x20, 0x97, 0x20, 0x85, 0x20, 0x80]));
    }
}
