using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;

namespace Sluice.Server.Http;

/// <summary>
/// The one place where an outage of the store or the broker becomes an answer: 503 problem details with
/// Retry-After, for every endpoint, instead of the generic 500 of an unhandled exception. Endpoints need no
/// try/catch of their own; the stores and transports throw <see cref="StoreUnavailableException"/> and
/// <see cref="QueueUnavailableException"/>.
/// </summary>
internal sealed partial class UnavailableExceptionHandler(IProblemDetailsService problems, ILogger<UnavailableExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Retry-After of an outage: the store's connect timeout and the broker's recovery interval are both about this.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (type, detail) = Classify(exception);
        if (type is null || httpContext.Response.HasStarted)
        {
            return false;
        }

        // The path escaped (PathString.ToString()), not decoded: a CR or LF in it would start a forged log line.
        Log.Unavailable(logger, httpContext.Request.Method, httpContext.Request.Path.ToString(), exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        Apis.JobResponses.SetRetryAfter(httpContext, RetryAfter);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = detail,
                Type = Problems.TypeBase + type,
            },
        }).ConfigureAwait(false);
    }

    private static (string? Type, string? Detail) Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StoreUnavailableException:
                    return ("unavailable", "the job store is unavailable; retry later");
                case QueueUnavailableException q:
                    return ("unavailable", q.Message + "; retry later");
            }
        }

        return (null, null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: {Error}")]
        public static partial void Unavailable(ILogger logger, string method, string path, string error);
    }
}
