namespace Sluice.Blog.Pages;

/// <summary>The plain pages of a refusal (no such post, not yours).</summary>
internal static class ErrorPages
{
    public static IResult NotFound(HttpContext context, string what) =>
        Html.Page(context, "Not found", $"<h1>Not found</h1><p id=\"problem\">{Html.Encode(what)}</p>", StatusCodes.Status404NotFound);

    public static IResult Forbidden(HttpContext context, string what) =>
        Html.Page(context, "Not yours", $"<h1>Not yours</h1><p id=\"problem\">{Html.Encode(what)}</p>", StatusCodes.Status403Forbidden);

    public static IResult BadRequest(HttpContext context, string field, string what) =>
        Html.Page(context, "Bad request", $"<h1>Bad request</h1><p id=\"problem\" data-field=\"{Html.Encode(field)}\">{Html.Encode(field)}: {Html.Encode(what)}</p>", StatusCodes.Status400BadRequest);
}
