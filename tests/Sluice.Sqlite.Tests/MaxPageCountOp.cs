using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite.Tests;

/// <summary>
/// Caps the writer's file at the pages it has (<c>PRAGMA max_page_count</c>, a setting of that connection only), so
/// the next write needing a page fails with SQLITE_FULL as on a full disk; or lifts the cap, as when space returns.
/// Queued through the writer because the cap belongs to its connection. Returns the cap in force.
/// </summary>
internal sealed class MaxPageCountOp(bool full) : WriteOp<long>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "PRAGMA page_count;";
        var pages = full ? Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) : 1073741823;
        cmd.CommandText = $"PRAGMA max_page_count = {pages.ToString(CultureInfo.InvariantCulture)};";
        SetResult(Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));
    }
}
