using Microsoft.AspNetCore.Http.HttpResults;
using Sluice.Core.Models;
using Sluice.Server.Contracts;

namespace Sluice.Server.Apis;

/// <summary>Errors in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>) with OpenAI's status codes.</summary>
internal static class OpenAiErrors
{
    public static IResult Create(int status, string message, string type, string? param = null, string? code = null) =>
        TypedResults.Json(new OpenAiErrorResponse(new OpenAiErrorBody(message, type, param, code)), OpenAiJsonContext.Default.OpenAiErrorResponse, statusCode: status);

    public static IResult InvalidRequest(string message, string? param, string? code = null) => Create(400, message, OpenAiErrorTypes.InvalidRequest, param, code);

    public static IResult ModelNotFound(string model) =>
        Create(404, $"The model '{ClientText.Echo(model)}' does not exist or you do not have access to it.", OpenAiErrorTypes.InvalidRequest, "model", "model_not_found");

    /// <summary>Re-shapes a problem-details answer of the shared body reader (400, 413, 415) into OpenAI's shape.</summary>
    public static IResult FromProblem(IResult problem)
    {
        if (problem is ProblemHttpResult p)
        {
            var field = p.ProblemDetails.Extensions.TryGetValue("field", out var f) ? f as string : null;
            var status = p.StatusCode;
            var code = status switch
            {
                413 => "request_too_large",
                415 => "unsupported_media_type",
                _ => null,
            };
            return Create(status, p.ProblemDetails.Detail ?? p.ProblemDetails.Title ?? "invalid request", status >= 500 ? OpenAiErrorTypes.Server : OpenAiErrorTypes.InvalidRequest, field, code);
        }

        return problem;
    }
}
