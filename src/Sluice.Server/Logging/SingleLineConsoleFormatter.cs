using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Sluice.Server.Logging;

/// <summary>
/// The console's <c>simple</c> formatter with control characters escaped in the message, the exception and the scopes:
/// in single-line mode it replaces LF only, so a client's string logged with a lone CR (or an ESC sequence, or U+2028)
/// moved a terminal's cursor back and forged the start of a log line. LF is left to the inner formatter (single-line
/// turns it into a space), tab kept; the rest is written as <c>\uXXXX</c>. The formatter keeps the name <c>simple</c>,
/// so <c>Logging:Console:FormatterName</c> and its options mean what they did.
/// </summary>
internal sealed class SingleLineConsoleFormatter(ConsoleFormatter inner) : ConsoleFormatter(ConsoleFormatterNames.Simple), IDisposable
{
    private EscapingScopeProvider? _scopes;

    /// <summary>
    /// Puts this formatter around the console's <c>simple</c> one that the host registered (an internal type of
    /// Microsoft.Extensions.Logging.Console, made here with its own constructor's services).
    /// </summary>
    public static void Decorate(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(ConsoleFormatter) && services[i].ImplementationType is { Name: "SimpleConsoleFormatter" } simple)
            {
                services[i] = ServiceDescriptor.Singleton<ConsoleFormatter>(sp => new SingleLineConsoleFormatter((ConsoleFormatter)ActivatorUtilities.CreateInstance(sp, simple)));
            }
        }
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Exception is { } exception)
        {
            // Written as the inner formatter writes an exception in single-line mode: after a space, on the same line.
            message = message + " " + exception;
        }

        var entry = new LogEntry<string>(logEntry.LogLevel, logEntry.Category, logEntry.EventId, Escape(message), null, static (s, _) => s);
        inner.Write(entry, scopeProvider is null ? null : Wrap(scopeProvider), textWriter);
    }

    // The logger passes the same scope provider every time: wrapped once, not for every line.
    private EscapingScopeProvider Wrap(IExternalScopeProvider scopeProvider)
    {
        var wrapped = _scopes;
        if (wrapped is null || !ReferenceEquals(wrapped.Inner, scopeProvider))
        {
            _scopes = wrapped = new EscapingScopeProvider(scopeProvider);
        }

        return wrapped;
    }

    /// <summary>The text with its control characters but LF and tab written as <c>\uXXXX</c>; itself when it has none.</summary>
    public static string Escape(string text)
    {
        var i = 0;
        while (i < text.Length && !MustEscape(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (MustEscape(c))
            {
                escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool MustEscape(char c) => c is not ('\n' or '\t') && (char.IsControl(c) || c is '\u2028' or '\u2029');
}
