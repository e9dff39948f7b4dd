using System.Globalization;
using System.Text;

namespace Sluice.Bench.Reporting;

/// <summary>
/// A self-contained SVG line chart (axes, grid, ticks, legend, markers with tooltips) that opens in any browser.
/// Linear or log-10 axes; non-positive values are dropped from log axes.
/// </summary>
internal sealed class SvgLineChart
{
    private static readonly string[] s_palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    private const double Left = 80, Right = 190, Top = 50, Bottom = 60;

    private readonly List<ChartSeries> _series = [];

    public SvgLineChart(string title, string xLabel, string yLabel)
    {
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    public string Title { get; }

    public string XLabel { get; }

    public string YLabel { get; }

    public bool LogX { get; init; }

    public bool LogY { get; init; }

    public int Width { get; init; } = 900;

    public int Height { get; init; } = 500;

    /// <summary>Optional horizontal reference line (e.g. an SLO) and its label.</summary>
    public (double Y, string Label)? ReferenceLine { get; init; }

    public IReadOnlyList<ChartSeries> Series => _series;

    public SvgLineChart Add(ChartSeries series)
    {
        _series.Add(series);
        return this;
    }

    public string Render()
    {
        var points = new List<(double X, double Y)>();
        foreach (ChartSeries s in _series)
        {
            foreach (ChartPoint p in s.Points)
            {
                if (Usable(p.X, LogX) && Usable(p.Y, LogY))
                {
                    points.Add((p.X, p.Y));
                }
            }
        }

        if (ReferenceLine is { } reference && Usable(reference.Y, LogY))
        {
            points.Add((double.NaN, reference.Y));
        }

        (double xMin, double xMax) = Range(points, static p => p.X, LogX);
        (double yMin, double yMax) = Range(points, static p => p.Y, LogY);
        if (!LogY && yMin > 0)
        {
            yMin = 0;
        }

        double[] xTicks = Ticks(ref xMin, ref xMax, LogX);
        double[] yTicks = Ticks(ref yMin, ref yMax, LogY);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Sx(double x) => Left + (plotW * (Scale(x, LogX) - Scale(xMin, LogX)) / (Scale(xMax, LogX) - Scale(xMin, LogX)));
        double Sy(double y) => Top + plotH - (plotH * (Scale(y, LogY) - Scale(yMin, LogY)) / (Scale(yMax, LogY) - Scale(yMin, LogY)));

        var svg = new StringBuilder(8192);
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">""").Append('\n');
        svg.Append("<title>").Append(Escape(Title)).Append("</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="0" y="0" width="{Width}" height="{Height}" fill="#ffffff"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width / 2.0:0.#}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{Escape(Title)}</text>""").Append('\n');

        // Grid and ticks.
        svg.Append("""<g class="grid" stroke="#e0e0e0" stroke-width="1">""").Append('\n');
        foreach (double t in xTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Sx(t):0.##}" y1="{Top}" x2="{Sx(t):0.##}" y2="{Top + plotH}"/>""").Append('\n');
        }

        foreach (double t in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" y1="{Sy(t):0.##}" x2="{Left + plotW}" y2="{Sy(t):0.##}"/>""").Append('\n');
        }

        svg.Append("</g>\n");
        svg.Append(CultureInfo.InvariantCulture, $"""<rect class="plot" x="{Left}" y="{Top}" width="{plotW}" height="{plotH}" fill="none" stroke="#333333"/>""").Append('\n');
        foreach (double t in xTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Sx(t):0.##}" y="{Top + plotH + 18}" text-anchor="middle">{Escape(Label(t))}</text>""").Append('\n');
        }

        foreach (double t in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 8}" y="{Sy(t) + 4:0.##}" text-anchor="end">{Escape(Label(t))}</text>""").Append('\n');
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + (plotW / 2):0.#}" y="{Height - 15}" text-anchor="middle">{Escape(XLabel + (LogX ? " (log)" : string.Empty))}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="18" y="{Top + (plotH / 2):0.#}" text-anchor="middle" transform="rotate(-90 18 {Top + (plotH / 2):0.#})">{Escape(YLabel + (LogY ? " (log)" : string.Empty))}</text>""").Append('\n');

        if (ReferenceLine is { } line && Usable(line.Y, LogY))
        {
            double y = Sy(line.Y);
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="reference" x1="{Left}" y1="{y:0.##}" x2="{Left + plotW}" y2="{y:0.##}" stroke="#555555" stroke-dasharray="2 4"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + plotW - 4}" y="{y - 4:0.##}" text-anchor="end" fill="#555555">{Escape(line.Label)}</text>""").Append('\n');
        }

        // Series.
        for (int i = 0; i < _series.Count; i++)
        {
            ChartSeries s = _series[i];
            string color = s_palette[(s.ColorIndex >= 0 ? s.ColorIndex : i) % s_palette.Length];
            var usable = new List<ChartPoint>(s.Points.Count);
            foreach (ChartPoint p in s.Points)
            {
                if (Usable(p.X, LogX) && Usable(p.Y, LogY))
                {
                    usable.Add(p);
                }
            }

            usable.Sort(static (a, b) => a.X.CompareTo(b.X));
            svg.Append(CultureInfo.InvariantCulture, $"""<g class="series" data-name="{Escape(s.Name)}" stroke="{color}" fill="{color}">""").Append('\n');
            if (usable.Count > 1)
            {
                svg.Append("""<polyline fill="none" stroke-width="2" """);
                if (s.Dashed)
                {
                    svg.Append("""stroke-dasharray="6 4" """);
                }

                svg.Append("points=\"");
                foreach (ChartPoint p in usable)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"{Sx(p.X):0.##},{Sy(p.Y):0.##} ");
                }

                svg.Append("\"/>\n");
            }

            if (usable.Count <= 60)
            {
                foreach (ChartPoint p in usable)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{Sx(p.X):0.##}" cy="{Sy(p.Y):0.##}" r="3.5"><title>{Escape($"{s.Name}: {Label(p.X)} → {Label(p.Y)}")}</title></circle>""").Append('\n');
                }
            }

            svg.Append("</g>\n");

            // Legend entry.
            double ly = Top + 10 + (i * 20);
            double lx = Left + plotW + 15;
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{color}" stroke-width="3"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{lx + 30}" y="{ly + 4}">{Escape(Truncate(s.Name, 26))}</text>""").Append('\n');
        }

        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + (plotW / 2):0.#}" y="{Top + (plotH / 2):0.#}" text-anchor="middle" fill="#999999">no data</text>""").Append('\n');
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static bool Usable(double v, bool log) => double.IsFinite(v) && (!log || v > 0);

    private static double Scale(double v, bool log) => log ? Math.Log10(v) : v;

    private static (double Min, double Max) Range(List<(double X, double Y)> points, Func<(double X, double Y), double> pick, bool log)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach ((double X, double Y) p in points)
        {
            double v = pick(p);
            if (double.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        if (double.IsInfinity(min))
        {
            return log ? (1, 10) : (0, 1);
        }

        if (max <= min)
        {
            return log ? (min / 2, max * 2) : (min - Math.Max(1, Math.Abs(min) * 0.1), max + Math.Max(1, Math.Abs(max) * 0.1));
        }

        return (min, max);
    }

    private static double[] Ticks(ref double min, ref double max, bool log)
    {
        var ticks = new List<double>();
        if (log)
        {
            double lo = Math.Floor(Math.Log10(min)), hi = Math.Ceiling(Math.Log10(max));
            if (hi <= lo)
            {
                hi = lo + 1;
            }

            min = Math.Pow(10, lo);
            max = Math.Pow(10, hi);
            bool dense = hi - lo <= 2;
            for (double e = lo; e <= hi; e++)
            {
                double b = Math.Pow(10, e);
                ticks.Add(b);
                if (dense && e < hi)
                {
                    ticks.Add(2 * b);
                    ticks.Add(5 * b);
                }
            }

            return ticks.ToArray();
        }

        double step = NiceStep((max - min) / 6);
        min = Math.Floor(min / step) * step;
        max = Math.Ceiling(max / step) * step;
        for (double t = min; t <= max + (step / 2); t += step)
        {
            ticks.Add(Math.Round(t, 10));
        }

        return ticks.ToArray();
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0 || !double.IsFinite(raw))
        {
            return 1;
        }

        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / magnitude;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static string Label(double v)
    {
        double a = Math.Abs(v);
        return a switch
        {
            >= 1_000_000 => (v / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
            >= 10_000 => (v / 1000).ToString("0.##", CultureInfo.InvariantCulture) + "k",
            >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
            >= 1 => v.ToString("0.##", CultureInfo.InvariantCulture),
            0 => "0",
            _ => v.ToString("0.###", CultureInfo.InvariantCulture),
        };
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 1), "…");

    private static string Escape(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            switch (c)
            {
                case '<': b.Append("&lt;"); break;
                case '>': b.Append("&gt;"); break;
                case '&': b.Append("&amp;"); break;
                case '"': b.Append("&quot;"); break;
                case '\'': b.Append("&apos;"); break;
                default:
                    if (c >= 0x20 || c == '\t' || c == '\n')
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.ToString();
    }
}
