using Microsoft.Extensions.Logging;

namespace Sluice.Testing;

/// <summary>
/// Records what every logger of a host logs at <paramref name="minimum"/> or above (add it as an
/// <see cref="ILoggerProvider"/>; warnings by default) in one list.
/// </summary>
public sealed class RecordingLoggerProvider(LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    private readonly RecordingLogger<RecordingLoggerProvider> _logger = new(minimum);

    public List<string> Warnings => _logger.Warnings;

    /// <summary>Everything recorded so far, with its level.</summary>
    public List<(LogLevel Level, string Message)> Entries => _logger.Entries;

    /// <summary>Everything recorded so far, with its level and the exception logged with it.</summary>
    public List<(LogLevel Level, string Message, Exception? Exception)> EntriesWithExceptions => _logger.EntriesWithExceptions;

    public ILogger CreateLogger(string categoryName) => _logger;

    public void Dispose()
    {
    }
}
