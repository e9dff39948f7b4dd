namespace Sluice.Server.Hosting;

/// <summary>
/// The host's logger factory, with Kestrel's general logger wrapped in a <see cref="VanishedClientLogger"/> and every
/// ASP.NET Core logger in a <see cref="StreamTokenRedactingLogger"/>.
/// </summary>
internal sealed class VanishedClientLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        if (string.Equals(categoryName, VanishedClientLogger.KestrelCategory, StringComparison.Ordinal))
        {
            logger = new VanishedClientLogger(logger);
        }

        return categoryName.StartsWith(StreamTokenRedactingLogger.CategoryPrefix, StringComparison.Ordinal) ? new StreamTokenRedactingLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
