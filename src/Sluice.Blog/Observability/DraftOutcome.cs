namespace Sluice.Blog.Observability;

/// <summary>How a draft ended, the <c>outcome</c> label of <c>sluice_blog_drafts_total</c>.</summary>
internal enum DraftOutcome
{
    /// <summary>The job's <c>completed</c> event was relayed.</summary>
    Completed,

    /// <summary>A terminal event other than completed or cancelled (failed, expired, dead_lettered).</summary>
    Failed,

    Cancelled,

    /// <summary>The browser went away before the end (Sluice cancels the job).</summary>
    Disconnected,

    /// <summary>Refused before a job existed: bad input, or Sluice refused or could not be reached.</summary>
    Refused,

    /// <summary>The stream ended with no terminal event seen (it broke off).</summary>
    Ended,
}
