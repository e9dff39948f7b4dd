using System.Globalization;

namespace Sluice.Bench.Reporting;

/// <summary>Number formatting shared by the table, Markdown and charts (invariant culture).</summary>
internal static class Fmt
{
    public static string Ms(double ms) => ms switch
    {
        0 => "0",
        < 1 => ms.ToString("0.000", CultureInfo.InvariantCulture),
        < 10 => ms.ToString("0.00", CultureInfo.InvariantCulture),
        < 1000 => ms.ToString("0.0", CultureInfo.InvariantCulture),
        _ => ms.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Rate(double perSecond) => perSecond < 100
        ? perSecond.ToString("0.0", CultureInfo.InvariantCulture)
        : perSecond.ToString("0", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    public static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
