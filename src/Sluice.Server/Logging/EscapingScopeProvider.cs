namespace Sluice.Server.Logging;

/// <summary>
/// Gives the console formatter each scope (the request's path, a job id) as it is, or as its escaped text when that
/// holds a control character (<see cref="SingleLineConsoleFormatter.Escape"/>).
/// </summary>
internal sealed class EscapingScopeProvider(IExternalScopeProvider inner) : IExternalScopeProvider
{
    public IExternalScopeProvider Inner => inner;

    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope(static (scope, s) => s.Callback(Escaped(scope), s.State), (Callback: callback, State: state));

    public IDisposable Push(object? state) => inner.Push(state);

    private static object? Escaped(object? scope)
    {
        if (scope?.ToString() is not { } text)
        {
            return scope;
        }

        var escaped = SingleLineConsoleFormatter.Escape(text);
        return ReferenceEquals(escaped, text) ? scope : escaped;
    }
}
