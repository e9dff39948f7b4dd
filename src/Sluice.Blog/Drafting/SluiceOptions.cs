namespace Sluice.Blog.Drafting;

/// <summary>Where the blog reaches Sluice, section <c>Blog:Sluice</c>; the key stays on the server, never in a page.</summary>
internal sealed class SluiceOptions
{
    public const string Section = "Blog:Sluice";

    /// <summary>Sluice's base address (<c>./sluice serve</c>'s default).</summary>
    public string BaseUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The API key sent as <c>Authorization: Bearer</c>; empty for a server running open on loopback.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The model the draft task runs on; empty lets Sluice choose (its <c>Sluice:Tasks:Model</c> or local model).</summary>
    public string Model { get; set; } = "";

    /// <summary>Most tokens a draft may generate; 0 leaves it to the task's default and the model's limit.</summary>
    public int MaxTokens { get; set; }

    /// <summary>
    /// Longest wait for Sluice's answer to a submit, a cancel or the start of an event stream; a stream, once
    /// started, runs as long as the job.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 30;
}
