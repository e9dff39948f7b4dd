using System.Reflection;

namespace Sluice.Blog.Pages;

/// <summary>The stylesheet and the draft script, embedded in the assembly so the blog runs from any folder.</summary>
internal static class AssetEndpoints
{
    public static IEndpointRouteBuilder MapBlogAssets(this IEndpointRouteBuilder routes)
    {
        var css = Load("blog.css");
        var js = Load("draft.js");
        routes.MapGet("/assets/blog.css", (HttpContext context) => Serve(context, css, "text/css; charset=utf-8"));
        routes.MapGet("/assets/draft.js", (HttpContext context) => Serve(context, js, "text/javascript; charset=utf-8"));
        return routes;
    }

    private static IResult Serve(HttpContext context, byte[] bytes, string type)
    {
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Bytes(bytes, type);
    }

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Sluice.Blog.Assets.{name}")
            ?? throw new InvalidOperationException($"the embedded asset {name} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
