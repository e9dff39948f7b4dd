using Sluice.Blog.Domain;

namespace Sluice.Blog.Api;

/// <summary>RFC 7807 problems as Sluice writes them: <c>field</c> names the member at fault, <c>errors</c> lists every one.</summary>
internal static class BlogProblems
{
    public static IResult Field(int status, string title, string field, string detail) =>
        Results.Problem(
            statusCode: status,
            title: title,
            detail: detail,
            extensions: new Dictionary<string, object?> { ["field"] = field, ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });

    public static IResult Invalid(FieldErrors errors)
    {
        var all = new Dictionary<string, string[]>();
        foreach (var (field, message) in errors.All)
        {
            all.TryAdd(field, [message]);
        }

        var first = errors.All[0];
        return Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid post",
            detail: first.Value,
            extensions: new Dictionary<string, object?> { ["field"] = first.Key, ["errors"] = all });
    }

    public static IResult Status(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail);
}
