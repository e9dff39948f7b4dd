using System.Diagnostics;
using Sluice.Bench.Reporting;
using Sluice.Bench.Tests.Infrastructure;

namespace Sluice.Bench.Tests.Reporting;

public sealed class SvgChromiumRenderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-bench-render", Guid.NewGuid().ToString("N"));

    [ChromiumFact]
    public async Task Render_LatencyChartInHeadlessChromium_DrawsAxesAndSeries()
    {
        IReadOnlyList<ChartFile> charts = ResultsWriter.Write(SampleRuns.ClosedLoop(), _dir, sloMs: 50);
        string svg = Path.Combine(_dir, "charts", charts[0].FileName);
        string png = Path.Combine(_dir, "shot.png");

        var start = new ProcessStartInfo(ChromiumFactAttribute.ChromiumPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string arg in (string[])[
            "--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
            "--no-first-run", "--hide-scrollbars", $"--user-data-dir={Path.Combine(_dir, "profile")}",
            "--window-size=900,500", $"--screenshot={png}", new Uri(svg).AbsoluteUri])
        {
            start.ArgumentList.Add(arg);
        }

        using var chromium = Process.Start(start)!;
        Task<string> stderr = chromium.StandardError.ReadToEndAsync();
        Task<string> stdout = chromium.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await chromium.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            chromium.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(File.Exists(png), $"no screenshot; chromium exit {chromium.ExitCode}: {await stderr} {await stdout}");
        PngImage image = PngImage.Decode(await File.ReadAllBytesAsync(png));
        Assert.Equal(900, image.Width);
        Assert.Equal(500, image.Height);

        int white = 0, dark = 0, blue = 0, red = 0;
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                (byte r, byte g, byte b) = image.Pixel(x, y);
                if (r > 245 && g > 245 && b > 245)
                {
                    white++;
                }
                else if (r < 80 && g < 80 && b < 80)
                {
                    dark++; // axes, frame, text
                }

                if (Math.Abs(r - 0x1f) < 40 && Math.Abs(g - 0x77) < 40 && Math.Abs(b - 0xb4) < 40)
                {
                    blue++; // first series (p50)
                }

                if (Math.Abs(r - 0xd6) < 40 && Math.Abs(g - 0x27) < 40 && Math.Abs(b - 0x28) < 40)
                {
                    red++; // second series (p99)
                }
            }
        }

        int total = image.Width * image.Height;
        Assert.True(white > total / 2, $"background not white: {white}/{total}");
        Assert.True(dark > 1500, $"axes/text not drawn: {dark} dark pixels");
        Assert.True(blue > 200, $"p50 series not drawn: {blue} pixels");
        Assert.True(red > 200, $"p99 series not drawn: {red} pixels");

        // The plot frame's left edge is a dark vertical line at x = 80 (anti-aliased over 79..80).
        int frame = 0;
        for (int y = 60; y < 430; y++)
        {
            int darkest = 255;
            for (int x = 78; x <= 81; x++)
            {
                (byte r, byte g, byte b) = image.Pixel(x, y);
                darkest = Math.Min(darkest, Math.Max(r, Math.Max(g, b)));
            }

            frame += darkest < 160 ? 1 : 0;
        }

        Assert.True(frame > 300, $"plot frame not drawn at x=80: {frame}");
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
