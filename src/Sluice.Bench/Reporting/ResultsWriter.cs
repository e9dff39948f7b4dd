using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Bench.Reporting;

/// <summary>Writes a run's results folder: results.json, results.md and charts/*.svg.</summary>
internal static class ResultsWriter
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static JsonSerializerOptions JsonOptions => s_json;

    /// <summary>Writes everything and returns the charts written.</summary>
    public static IReadOnlyList<ChartFile> Write(BenchRun run, string directory, double? sloMs = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(directory);
        string charts = Path.Combine(directory, "charts");
        Directory.CreateDirectory(charts);
        IReadOnlyList<ChartFile> files = ChartSet.Build(run, sloMs);
        foreach (ChartFile chart in files)
        {
            File.WriteAllText(Path.Combine(charts, chart.FileName), chart.Chart.Render());
        }

        File.WriteAllText(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(run, s_json));
        File.WriteAllText(Path.Combine(directory, "results.md"), MarkdownReport.Render(run, files));
        return files;
    }

    /// <summary>
    /// Creates the results folder before a run, so a path that cannot hold results (an existing file, a folder that
    /// cannot be created) fails at once instead of after the run.
    /// </summary>
    public static void PrepareDirectory(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new BenchConfigurationException("--out is empty; give a folder for the results");
        }

        if (File.Exists(directory))
        {
            throw new BenchConfigurationException($"--out {directory} is a file; give a folder for the results");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // A bad option value like any other (bench: …, exit 2), naming the option, not the bare OS error.
            throw new BenchConfigurationException($"--out {directory}: cannot create the results folder ({e.Message})");
        }
    }

    /// <summary>A fresh folder under <paramref name="root"/> named after the run and the time.</summary>
    public static string NewRunDirectory(string root, string name, DateTimeOffset now) =>
        Path.Combine(root, $"{ChartSet.Slug(name)}-{now.UtcDateTime:yyyyMMdd-HHmmss}");
}
