namespace Sluice.Blog.Domain;

/// <summary>The limits of a post, shared by the forms and the JSON API so both refuse the same input.</summary>
internal static class PostRules
{
    public const int MaxTitleLength = 200;

    /// <summary>Generous for a post, small enough that one request cannot fill the disk or stall the renderer.</summary>
    public const int MaxBodyLength = 100_000;

    public static FieldErrors Validate(PostInput input)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(input.Title))
        {
            errors.Add("title", "A title is required.");
        }
        else if (input.Title.Length > MaxTitleLength)
        {
            errors.Add("title", $"A title is at most {MaxTitleLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(input.Markdown))
        {
            errors.Add("body", "The post needs a body.");
        }
        else if (input.Markdown.Length > MaxBodyLength)
        {
            errors.Add("body", $"A body is at most {MaxBodyLength} characters.");
        }

        return errors;
    }
}
