using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Http;

/// <summary>
/// Completes the problem details ASP.NET Core writes itself (no route, wrong method, an unhandled exception), so
/// every error says what went wrong in <c>detail</c>, as the API's own problems do.
/// </summary>
internal static class ProblemDefaults
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
        {
            return;
        }

        // An unhandled exception's message and stack name internals (paths, connection strings, SQL): only for a
        // server whose operator asked for them, never by environment.
        if (problem.Status == StatusCodes.Status500InternalServerError && context.Exception is { } exception
            && context.HttpContext.RequestServices.GetService<IOptions<HttpOptions>>()?.Value.DetailedErrors == true)
        {
            problem.Detail = exception.GetType().FullName + ": " + exception.Message;
            problem.Extensions["exception"] = exception.ToString();
            return;
        }

        var request = context.HttpContext.Request;
        var path = request.Path.Value is { Length: > 200 } longPath ? longPath[..200] + "…" : request.Path.Value;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"no endpoint at {path}; see /openapi/v1.json for the API",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {path}",
            StatusCodes.Status500InternalServerError => "the server failed to handle the request; it has been logged",
            _ => problem.Title,
        };
    }
}
