using System.Xml.Linq;
using Sluice.Bench.Reporting;

namespace Sluice.Bench.Tests.Reporting;

public sealed class SvgLineChartTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Render_TwoSeries_ValidSvgWithOnePolylinePerSeries()
    {
        var chart = new SvgLineChart("t <&> \"q\"", "x", "y") { LogY = true, ReferenceLine = (50, "SLO") };
        chart.Add(new ChartSeries("p50", [new(1, 2), new(5, 3), new(10, 8)]));
        chart.Add(new ChartSeries("p99", [new(1, 20), new(5, 40), new(10, 300)], Dashed: true));

        XDocument doc = XDocument.Parse(chart.Render());

        Assert.Equal(s_svg + "svg", doc.Root!.Name);
        Assert.Equal(2, doc.Descendants(s_svg + "polyline").Count());
        Assert.Equal(6, doc.Descendants(s_svg + "circle").Count());
        Assert.Contains(doc.Descendants(s_svg + "text"), t => t.Value == "t <&> \"q\"");
        Assert.Single(doc.Descendants(s_svg + "line"), l => (string?)l.Attribute("class") == "reference");
        foreach (XElement circle in doc.Descendants(s_svg + "circle"))
        {
            double cx = (double)circle.Attribute("cx")!, cy = (double)circle.Attribute("cy")!;
            Assert.InRange(cx, 80, 900 - 190);
            Assert.InRange(cy, 50, 500 - 60);
        }
    }

    [Fact]
    public void Render_NoData_StillValidSvg()
    {
        XDocument doc = XDocument.Parse(new SvgLineChart("empty", "x", "y") { LogY = true }.Render());
        Assert.Contains(doc.Descendants(s_svg + "text"), t => t.Value == "no data");
    }

    [Fact]
    public void Render_LogAxisWithZeros_DropsNonPositivePoints()
    {
        var chart = new SvgLineChart("z", "x", "y") { LogY = true };
        chart.Add(new ChartSeries("s", [new(0, 0), new(1, 10), new(2, 100)]));
        XDocument doc = XDocument.Parse(chart.Render());
        Assert.Equal(2, doc.Descendants(s_svg + "circle").Count());
    }
}
