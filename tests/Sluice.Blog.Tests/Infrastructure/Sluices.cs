using Sluice.Testing.Server;

namespace Sluice.Blog.Tests.Infrastructure;

/// <summary>The Sluice servers the blog tests talk to, and an address where no Sluice listens.</summary>
internal static class Sluices
{
    /// <summary>Built-in models only (<c>count</c> streams a token per step): starts fast.</summary>
    public static Task<SluiceServer> BuiltInsAsync(Dictionary<string, string>? settings = null) => SluiceServer.StartAsync(settings);

    /// <summary>The shared stories260K checkpoint as the local model that runs the <c>blog-draft</c> task.</summary>
    public static Task<SluiceServer> LocalModelAsync(Dictionary<string, string>? settings = null) => SluiceServer.StartAsync(SluiceServer.LocalModel(settings));

    /// <summary>A loopback address with nothing listening: a port just released by a listener bound to 0.</summary>
    public static Uri Nowhere()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
