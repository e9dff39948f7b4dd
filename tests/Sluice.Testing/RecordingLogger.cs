using Microsoft.Extensions.Logging;

namespace Sluice.Testing;

/// <summary>Keeps every message logged at warning or above, for tests that assert what an operator would be told.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<string> _warnings = [];

    /// <summary>A copy of what was logged so far (loggers may be called from several threads).</summary>
    public List<string> Warnings
    {
        get
        {
            lock (_warnings)
            {
                return [.. _warnings];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (_warnings)
            {
                _warnings.Add(formatter(state, exception));
            }
        }
    }
}
