using System.Text;
using Sluice.Classification.Model;
using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

public sealed class ClassifierCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-clf-cli-").FullName;

    [Fact]
    public async Task RunAsync_TrainOnAFile_WritesTheFileAndPrintsEveryEpochAndTheVersion()
    {
        var data = Path.Combine(_dir, "data.txt");
        var lines = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            lines.Append(i % 2 == 0 ? $"a great and lovely thing {i}\t1\r\n" : $"an awful and broken thing {i}\t0\r\n");
        }

        await File.WriteAllTextAsync(data, lines.ToString());
        var target = Path.Combine(_dir, "out", "c.clf");
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["classifier", "train", "--data", data, "--epochs", "3", "--output", target], output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Equal(3, error.ToString().Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
        var version = ClassifierFile.Read(target).Version;
        Assert.Contains($"wrote {target} (version {version})", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MalformedData_OneErrorLineExit2()
    {
        var data = Path.Combine(_dir, "bad.txt");
        await File.WriteAllTextAsync(data, "good\t1\nno label\n");
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["classifier", "train", "--data", data, "--output", Path.Combine(_dir, "c.clf")], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Equal($"error: training data {data} line 2: expected 'sentence<TAB>label'", error.ToString().Trim());
        Assert.False(File.Exists(Path.Combine(_dir, "c.clf")));
    }

    [Fact]
    public async Task RunAsync_EpochsZero_UsageErrorExit2()
    {
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["classifier", "train", "--data", _dir, "--epochs", "0"], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.StartsWith("error: --epochs must be 1 to 200", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
