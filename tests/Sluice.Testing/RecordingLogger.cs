using Microsoft.Extensions.Logging;

namespace Sluice.Testing;

/// <summary>
/// Keeps every message logged at <paramref name="minimum"/> or above (warnings by default), for tests that assert what
/// an operator would be told.
/// </summary>
public sealed class RecordingLogger<T>(LogLevel minimum = LogLevel.Warning) : ILogger<T>
{
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

    /// <summary>A copy of the messages logged so far at warning or above (loggers may be called from several threads).</summary>
    public List<string> Warnings
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message)];
            }
        }
    }

    /// <summary>A copy of everything recorded so far, with its level.</summary>
    public List<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries.Select(e => (e.Level, e.Message))];
            }
        }
    }

    /// <summary>A copy of everything recorded so far, with its level and the exception logged with it (whose stack trace a console would print).</summary>
    public List<(LogLevel Level, string Message, Exception? Exception)> EntriesWithExceptions
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (_entries)
            {
                _entries.Add((logLevel, formatter(state, exception), exception));
            }
        }
    }
}
