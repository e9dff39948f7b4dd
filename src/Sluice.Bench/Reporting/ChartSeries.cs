namespace Sluice.Bench.Reporting;

/// <summary>One line of a chart; points are drawn in x order.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points, bool Dashed = false);
