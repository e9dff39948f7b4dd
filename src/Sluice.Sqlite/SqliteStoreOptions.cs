using System.ComponentModel.DataAnnotations;

namespace Sluice.Sqlite;

/// <summary>Options of the embedded SQLite store (section <c>Sluice:Storage</c>).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Storage";

    /// <summary>Folder of <c>sluice.db</c>; created when missing.</summary>
    [Required]
    public string DataDir { get; set; } = "./data";

    /// <summary>Most writes grouped into one commit.</summary>
    [Range(1, 10_000)]
    public int MaxGroupSize { get; set; } = 512;

    /// <summary>
    /// SQLite <c>synchronous</c> level: FULL survives power loss, NORMAL survives a process crash (WAL).
    /// Group commit makes FULL affordable, so it is the default.
    /// </summary>
    [RegularExpression("^(FULL|NORMAL)$")]
    public string Synchronous { get; set; } = "FULL";

    /// <summary>How long idempotency keys are honoured.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a finished job (succeeded, failed, cancelled, expired) is kept, with its events and result, after it
    /// finished; a dead-lettered job is kept until requeued.
    /// </summary>
    public TimeSpan JobRetention { get; set; } = Core.Storage.JobRetention.Default;

    /// <summary>Path of the database file.</summary>
    public string DatabasePath => Path.Combine(DataDir, "sluice.db");
}
