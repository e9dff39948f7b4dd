namespace Sluice.Blog.Storage;

/// <summary>The blog's database cannot be used by this build (a newer schema, not a database); stops the start.</summary>
internal sealed class BlogSchemaException(string message, Exception? inner = null) : Exception(message, inner);
