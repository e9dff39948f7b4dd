using System.Text.Json;
using System.Xml.Linq;
using Sluice.Bench.Reporting;

namespace Sluice.Bench.Tests.Reporting;

public sealed class ResultsWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-bench-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Write_ClosedLoopRun_WritesJsonMarkdownAndCharts()
    {
        BenchRun run = SampleRuns.ClosedLoop();

        IReadOnlyList<ChartFile> charts = ResultsWriter.Write(run, _dir, sloMs: 50);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")));
        JsonElement stages = json.RootElement.GetProperty("series")[0].GetProperty("stages");
        Assert.Equal(6, stages.GetArrayLength());
        Assert.Equal(5000, stages[0].GetProperty("sent").GetInt64());
        Assert.True(stages[5].GetProperty("latency").GetProperty("p99_ms").GetDouble() > 0);
        Assert.Equal("closed", stages[0].GetProperty("mode").GetString());

        string md = File.ReadAllText(Path.Combine(_dir, "results.md"));
        Assert.Contains("| echo | c=100 |", md, StringComparison.Ordinal);
        Assert.Contains("charts/latency-vs-load.svg", md, StringComparison.Ordinal);
        Assert.Contains("timeout: 40", md, StringComparison.Ordinal);

        Assert.Equal(["latency-vs-load.svg", "throughput-vs-load.svg"], charts.Select(c => c.FileName));
        foreach (ChartFile c in charts)
        {
            XDocument.Load(Path.Combine(_dir, "charts", c.FileName));
        }
    }

    [Fact]
    public void Write_OpenLoopProfile_AddsLatencyAndLoadOverTime()
    {
        IReadOnlyList<ChartFile> charts = ResultsWriter.Write(SampleRuns.OpenLoopProfile(), _dir);

        Assert.Contains(charts, c => c.FileName == "latency-over-time-grader-tidal.svg");
        Assert.Contains(charts, c => c.FileName == "load-over-time-grader-tidal.svg");
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void PrepareDirectory_PathIsAFile_ThrowsBeforeAnythingRuns()
    {
        string file = Path.GetTempFileName();
        try
        {
            var ex = Assert.Throws<BenchConfigurationException>(() => ResultsWriter.PrepareDirectory(file));

            Assert.Contains("is a file", ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void PrepareDirectory_FolderCannotBeCreated_ThrowsConfigurationErrorNamingOut()
    {
        string file = Path.GetTempFileName();
        try
        {
            // A folder below a file cannot exist, whoever runs the test (root included).
            var ex = Assert.Throws<BenchConfigurationException>(() => ResultsWriter.PrepareDirectory(Path.Combine(file, "results")));

            Assert.StartsWith("--out ", ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void PrepareDirectory_EmptyPath_ThrowsConfigurationErrorNamingOut(string path)
    {
        var ex = Assert.Throws<BenchConfigurationException>(() => ResultsWriter.PrepareDirectory(path));

        Assert.StartsWith("--out ", ex.Message);
    }
}
