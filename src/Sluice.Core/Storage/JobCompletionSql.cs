namespace Sluice.Core.Storage;

/// <summary>The condition both SQL stores put on a completion's <c>UPDATE jobs … WHERE id = … AND</c>, so they settle the same jobs.</summary>
public static class JobCompletionSql
{
    /// <summary>
    /// Which jobs <paramref name="completion"/> may finish: any unfinished one, unless guarded. OnlyIfQueued: a cancel
    /// or queued-deadline expiry that loses to a worker's start instead of overwriting it. OnlyIfRunningPastDeadline:
    /// a gateway's expiry of a run no worker ended, which loses to any outcome stored first; its cutoff is the
    /// parameter <c>cutoff</c> named with <paramref name="prefix"/> (<c>@</c> for PostgreSQL, <c>$</c> for SQLite).
    /// A run's outcome (<see cref="JobCompletion.Run"/>) finishes only the job still running that run (see <see cref="RunGuard"/>).
    /// </summary>
    public static string Guard(JobCompletion completion, char prefix) =>
        completion.OnlyIfRunningPastDeadline is not null ? $"status = 1 AND deadline <= {prefix}cutoff"
        : completion.OnlyIfQueued ? "status = 0"
        : RunGuard(completion.Run, prefix);

    /// <summary>
    /// Which jobs a write on behalf of <paramref name="run"/> may change (an outcome, a retry, a move to a fallback): the
    /// job still running that very run, named by the parameters <c>run_attempt</c> and <c>run_started</c> (milliseconds)
    /// with <paramref name="prefix"/>; with no run, any job not yet terminal.
    /// </summary>
    public static string RunGuard(JobRun? run, char prefix) =>
        run is not null ? $"status = 1 AND attempts = {prefix}run_attempt AND started_at = {prefix}run_started" : "status < 2";
}
