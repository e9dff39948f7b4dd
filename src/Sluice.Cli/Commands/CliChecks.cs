namespace Sluice.Cli.Commands;

/// <summary>Range checks for option values; a value out of range is a <see cref="CliUsageException"/> naming the option.</summary>
internal static class CliChecks
{
    /// <summary><paramref name="value"/> when at least <paramref name="min"/>; <paramref name="meaning"/> explains special values, e.g. " (0 = all cores)".</summary>
    public static int AtLeast(int value, int min, string option, string meaning = "") =>
        value >= min ? value : throw new CliUsageException($"{option} must be at least {min}{meaning} (got {value})");

    /// <summary><paramref name="value"/> when it is a finite number.</summary>
    public static float Finite(float value, string option) =>
        float.IsFinite(value) ? value : throw new CliUsageException($"{option} must be a finite number (got {value})");

    /// <summary>
    /// A job id argument: not empty or blank. An empty id would otherwise reach the collection route (<c>GET /v1/jobs/</c>
    /// lists jobs, <c>DELETE</c> answers 405), which reads like an answer about the job.
    /// </summary>
    public static string JobId(string? value) =>
        string.IsNullOrWhiteSpace(value) ? throw new CliUsageException("id must be a job id (job_…), not empty") : value.Trim();

    /// <summary>Threads: 0 means every core.</summary>
    public static int Threads(int value) => AtLeast(value, 0, "--threads", " (0 = all cores)") is > 0 and var n ? n : Environment.ProcessorCount;
}
