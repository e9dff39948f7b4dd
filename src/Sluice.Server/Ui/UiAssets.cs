using System.Security.Cryptography;

namespace Sluice.Server.Ui;

/// <summary>
/// The built-in essay grading page (<c>Ui/Assets</c>), embedded in the server assembly so a single-file deployment
/// serves it with no content root; read once at start.
/// </summary>
internal sealed class UiAssets
{
    private UiAssets(UiAsset page, UiAsset script, UiAsset styles, UiAsset icon)
    {
        Page = page;
        Script = script;
        Styles = styles;
        Icon = icon;
    }

    public UiAsset Page { get; }

    public UiAsset Script { get; }

    public UiAsset Styles { get; }

    public UiAsset Icon { get; }

    public static UiAssets Load() => new(
        Read("essays.html", "text/html; charset=utf-8"),
        Read("essays.js", "text/javascript; charset=utf-8"),
        Read("essays.css", "text/css; charset=utf-8"),
        Read("icon.svg", "image/svg+xml"));

    private static UiAsset Read(string name, string contentType)
    {
        using var stream = typeof(UiAssets).Assembly.GetManifestResourceStream("Sluice.Server.Ui." + name)
            ?? throw new InvalidOperationException($"the embedded UI file '{name}' is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8));
        return new UiAsset(bytes, contentType, "\"" + hash + "\"");
    }
}
