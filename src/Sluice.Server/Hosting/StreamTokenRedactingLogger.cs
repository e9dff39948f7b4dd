using Sluice.Server.Admission;

namespace Sluice.Server.Hosting;

/// <summary>
/// An ASP.NET Core logger that never writes a stream token: browsers send it in the query string, which the host's
/// request logging ("Request starting … ?stream_token=…", at Information) would otherwise put in the logs, where
/// anyone who reads them could follow the job. An entry that has one (under any spelling the query parser accepts:
/// <c>Stream_Token</c>, <c>stream%5Ftoken</c>) is written with its value replaced, in the message and in the
/// structured values alike; every other entry passes unchanged.
/// </summary>
internal sealed class StreamTokenRedactingLogger(ILogger inner) : ILogger
{
    /// <summary>The categories wrapped: the host's, routing's, Kestrel's and HTTP logging's, which may log a request's URL.</summary>
    public const string CategoryPrefix = "Microsoft.AspNetCore";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        var redacted = StreamTokens.Redact(message);
        if (ReferenceEquals(redacted, message))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        var values = new List<KeyValuePair<string, object?>>();
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, value) in pairs)
            {
                values.Add(new(key, value is string s ? StreamTokens.Redact(s) : value));
            }
        }

        inner.Log(logLevel, eventId, values, exception, (_, _) => redacted);
    }
}
