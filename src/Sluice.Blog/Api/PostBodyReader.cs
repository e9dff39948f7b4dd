using System.Text.Json;
using Sluice.Blog.Domain;

namespace Sluice.Blog.Api;

/// <summary>
/// Reads <c>{"title", "body", "published"}</c> strictly: a member of the wrong type, an unknown member or a body
/// that is not a JSON object is a problem naming it, never a 500.
/// </summary>
internal static class PostBodyReader
{
    /// <summary>Limits what one request may make the server buffer.</summary>
    private const int MaxBodyBytes = 512 * 1024;

    public static async Task<(PostInput? Input, IResult? Problem)> ReadAsync(HttpRequest request)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            // Also what keeps a cross-site HTML form from posting here with the reader's cookie.
            return (null, BlogProblems.Field(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "Send the post as application/json."));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, BlogProblems.Field(StatusCodes.Status413PayloadTooLarge, "Body too large", "body", $"A request body is at most {MaxBodyBytes} bytes."));
        }

        JsonDocument document;
        try
        {
            using var limited = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (limited.Length + read > MaxBodyBytes)
                {
                    return (null, BlogProblems.Field(StatusCodes.Status413PayloadTooLarge, "Body too large", "body", $"A request body is at most {MaxBodyBytes} bytes."));
                }

                limited.Write(buffer, 0, read);
            }

            document = JsonDocument.Parse(limited.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return (null, BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid JSON", "body", $"The body is not valid JSON: {e.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid JSON", "body", "The body must be a JSON object."));
            }

            string title = "", body = "";
            var published = false;
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "title" when member.Value.ValueKind == JsonValueKind.String:
                        title = member.Value.GetString()!;
                        break;
                    case "body" when member.Value.ValueKind == JsonValueKind.String:
                        body = member.Value.GetString()!;
                        break;
                    case "published" when member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        published = member.Value.GetBoolean();
                        break;
                    case "title" or "body":
                        return (null, BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid post", member.Name, $"{member.Name} must be a string."));
                    case "published":
                        return (null, BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid post", member.Name, "published must be true or false."));
                    default:
                        return (null, BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid post", member.Name, $"Unknown member '{member.Name}'; a post has title, body and published."));
                }
            }

            return (new PostInput(title, body, published), null);
        }
    }
}
