namespace Sluice.Blog.Publishing;

/// <summary>How a create or an edit ended.</summary>
internal enum PostWriteStatus
{
    Saved,
    Invalid,
    NotFound,
    NotAuthor,
}
