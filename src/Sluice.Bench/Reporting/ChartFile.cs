namespace Sluice.Bench.Reporting;

/// <summary>A rendered chart and the file name it is written to.</summary>
internal sealed record ChartFile(string FileName, string Title, SvgLineChart Chart);
