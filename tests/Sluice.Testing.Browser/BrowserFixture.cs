using Microsoft.Playwright;
using Sluice.Testing;
using Xunit;

namespace Sluice.Testing.Browser;

/// <summary>
/// One headless Debian chromium (<c>./sluice test</c> installs it) driven by Playwright, shared by a test class; each
/// test opens its own context. Playwright never downloads a browser here: the executable path is given.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("chromium is not running");

    public async Task InitializeAsync()
    {
        var chromium = ToolFactAttribute.FindTool("chromium");
        if (chromium is null)
        {
            // The tests are skipped then (ToolFact); nothing to start.
            return;
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
