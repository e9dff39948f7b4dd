namespace Sluice.Server.Contracts;

/// <summary><c>stream_options</c> of an OpenAI request (documentation type).</summary>
/// <param name="IncludeUsage">A last chunk with usage and no choices.</param>
public sealed record OpenAiStreamOptionsBody(bool? IncludeUsage);
