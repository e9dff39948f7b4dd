namespace Sluice.Bench.Reporting;

/// <summary>One line of a chart; points are drawn in x order. <paramref name="ColorIndex"/> picks a palette colour (−1 = by position), so related lines can share one.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points, bool Dashed = false, int ColorIndex = -1);
