using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>
/// The readiness probe's write: the header page rewritten with the schema version it already holds. An empty
/// transaction (<c>BEGIN IMMEDIATE; ROLLBACK</c>) writes nothing, so it passes on a full disk; this is one real page
/// appended to the journal and committed as a job's write is, so it fails as that write would (no room, a file system
/// remounted read-only, an I/O error, a lock held elsewhere), and changes nothing.
/// </summary>
internal sealed class ProbeOp : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        SqliteJobStore.Exec(conn, tx, $"PRAGMA user_version={SqliteSchema.Version};");
        SetResult(true);
    }
}
