using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Sluice.Server.Hosting;

/// <summary>
/// Kestrel's general logger, except that a connection ended by its client going away is one Debug line instead of
/// Kestrel's "Connection processing ended abnormally" Warning with a stack trace. A streaming client that vanished
/// is expected: <see cref="Http.UnacknowledgedSendBound"/> (TCP_USER_TIMEOUT) and the HTTP/2 keep-alive pings end its
/// connection on purpose, and Kestrel reports the socket error that follows (ETIMEDOUT, ECONNRESET) as if it were a
/// fault. Only that event with only those socket errors is lowered; every other Kestrel entry passes unchanged.
/// </summary>
internal sealed partial class VanishedClientLogger(ILogger inner) : ILogger
{
    /// <summary>The category of the logger Kestrel's request processing logs "Connection processing ended abnormally" with.</summary>
    public const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // Kestrel logs it as event 0 at Warning; an error of the same event is left alone.
        if (logLevel == LogLevel.Warning && eventId.Id == 0 && ClientWentAway(exception) is { } reason)
        {
            LogMessages.ClientWentAway(inner, reason);
            return;
        }

        inner.Log(logLevel, eventId, state, exception, formatter);
    }

    /// <summary>The socket error saying the client is gone (its message), or null for any other exception.</summary>
    internal static string? ClientWentAway(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }:
                case ConnectionResetException:
                    return e.Message;
            }
        }

        return null;
    }

    private static partial class LogMessages
    {
        [LoggerMessage(EventId = 1, EventName = "ClientWentAway", Level = LogLevel.Debug, Message = "Connection ended: the client went away ({Reason})")]
        public static partial void ClientWentAway(ILogger logger, string reason);
    }
}
