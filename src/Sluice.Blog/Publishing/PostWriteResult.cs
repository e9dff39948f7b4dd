using Sluice.Blog.Domain;

namespace Sluice.Blog.Publishing;

/// <summary>The saved post, or why nothing was saved (with the fields at fault when <see cref="PostWriteStatus.Invalid"/>).</summary>
internal sealed record PostWriteResult(PostWriteStatus Status, Post? Post, FieldErrors Errors);
