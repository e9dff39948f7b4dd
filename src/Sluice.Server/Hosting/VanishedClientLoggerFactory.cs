namespace Sluice.Server.Hosting;

/// <summary>The host's logger factory, with Kestrel's general logger wrapped in a <see cref="VanishedClientLogger"/>.</summary>
internal sealed class VanishedClientLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return string.Equals(categoryName, VanishedClientLogger.KestrelCategory, StringComparison.Ordinal) ? new VanishedClientLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
