namespace Sluice.Blog.Hosting;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the blog believes, section
/// <c>Blog:ForwardedHeaders</c>. Empty (the default): the headers are ignored, since any client could send them and
/// so pick its own rate-limit address.
/// </summary>
internal sealed class ForwardedHeadersSettings
{
    public const string Section = "Blog:ForwardedHeaders";

    /// <summary>Proxy addresses (<c>10.0.0.5</c>, <c>::1</c>) the headers are taken from.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR form (<c>10.0.0.0/8</c>) the headers are taken from.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}
