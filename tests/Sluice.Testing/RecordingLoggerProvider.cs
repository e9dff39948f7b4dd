using Microsoft.Extensions.Logging;

namespace Sluice.Testing;

/// <summary>Records the warnings of every logger of a host (add it as an <see cref="ILoggerProvider"/>) in one list.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly RecordingLogger<RecordingLoggerProvider> _logger = new();

    public List<string> Warnings => _logger.Warnings;

    public ILogger CreateLogger(string categoryName) => _logger;

    public void Dispose()
    {
    }
}
