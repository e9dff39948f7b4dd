using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

public sealed class CliErrorsTests
{
    [Fact]
    public void Describe_ArgumentException_DropsTheParameterSuffix()
    {
        var message = CliErrors.Describe(new ArgumentException("the prompt is too long", "prompt"));

        Assert.Equal("the prompt is too long", message);
    }

    // A machine without the word lists is a failure the user fixes (install a package), like a missing file: one
    // error line and exit 1, not its own undocumented exit code.
    [Fact]
    public void Describe_NoWordListInstalled_OneLineExitOne()
    {
        var ex = new Grading.Spelling.DictionaryNotFoundException("no English word list found: apt-get install wamerican");

        Assert.Equal("no English word list found: apt-get install wamerican", CliErrors.Describe(ex));
        Assert.Equal(1, CliErrors.ExitCode(ex));
    }

    [Fact]
    public void Describe_ArgumentOutOfRange_KeepsTheValueOnOneLine()
    {
        var message = CliErrors.Describe(new ArgumentOutOfRangeException("prompt", 9, "ASAP prompts are 1..8"));

        Assert.Equal("ASAP prompts are 1..8 (got 9)", message);
    }

    [Fact]
    public void Describe_UnauthorizedAccessOnADirectory_SaysItIsADirectory()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cli-").FullName;
        try
        {
            var ex = Assert.ThrowsAny<UnauthorizedAccessException>(() => File.ReadAllText(dir));

            Assert.Equal($"{dir} is a directory, not a file", CliErrors.Describe(ex));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Describe_RefusedConnectionWithUrl_NamesTheUrlAndSuggestsServe()
    {
        var ex = new HttpRequestException("Connection refused (127.0.0.1:1)");
        ex.Data[CliErrors.UrlKey] = "http://127.0.0.1:1/v1/models";

        var message = CliErrors.Describe(ex);

        Assert.NotNull(message);
        Assert.StartsWith("could not reach http://127.0.0.1:1/v1/models (Connection refused", message);
        Assert.Contains("./sluice serve", message);
        Assert.Contains("--url", message);
    }

    [Fact]
    public void Describe_UsageError_ExitsWithTwoOthersWithOne()
    {
        Assert.Equal(2, CliErrors.ExitCode(new CliUsageException("--steps must be at least 1")));
        Assert.Equal(1, CliErrors.ExitCode(new FileNotFoundException("gone")));
    }

    [Fact]
    public void Describe_Bug_ReturnsNullSoTheStackTraceStays()
    {
        Assert.Null(CliErrors.Describe(new InvalidOperationException("KV budget")));
        Assert.Null(CliErrors.Describe(new NullReferenceException()));
    }
}
