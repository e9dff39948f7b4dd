using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Sluice.Server.Http;

/// <summary>RFC 7807 problem details, with the JSON path of the field at fault when there is one.</summary>
internal static class Problems
{
    public const string TypeBase = "https://sluice.dev/problems/";

    public static ProblemHttpResult Create(int status, string title, string detail, string? field = null, string? type = null)
    {
        var pd = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = TypeBase + (type ?? Slug(status)),
        };
        if (field is not null)
        {
            pd.Extensions["field"] = field;
            pd.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return TypedResults.Problem(pd);
    }

    public static ProblemHttpResult BadRequest(string field, string detail) => Create(400, "Invalid request", detail, field, "invalid-request");

    public static ProblemHttpResult NotFound(string what) => Create(404, "Not found", what, type: "not-found");

    private static string Slug(int status) => status switch
    {
        400 => "invalid-request",
        401 => "unauthorized",
        404 => "not-found",
        408 => "request-timeout",
        409 => "conflict",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "unprocessable",
        429 => "too-many-requests",
        503 => "unavailable",
        _ => "error",
    };
}
