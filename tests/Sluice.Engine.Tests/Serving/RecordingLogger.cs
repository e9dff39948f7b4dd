using Microsoft.Extensions.Logging;

namespace Sluice.Engine.Tests.Serving;

/// <summary>Keeps every message logged at warning or above, for tests that assert what an operator would be told.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<string> Warnings { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Warnings.Add(formatter(state, exception));
        }
    }
}
