using Microsoft.Data.Sqlite;
using Sluice.Core.Jobs;

namespace Sluice.Sqlite;

/// <summary>Inserts a job's events inside a write operation's transaction; an id already stored is kept as it is.</summary>
internal static class EventRows
{
    public static void Insert(SqliteConnection conn, SqliteTransaction tx, IReadOnlyList<JobEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        using var ev = conn.CreateCommand();
        ev.Transaction = tx;
        ev.CommandText = "INSERT OR IGNORE INTO events(job_id, id, type, data, at) VALUES ($j, $i, $ty, $d, $at)";
        var j = ev.Parameters.Add("$j", SqliteType.Text);
        var i = ev.Parameters.Add("$i", SqliteType.Integer);
        var ty = ev.Parameters.Add("$ty", SqliteType.Text);
        var d = ev.Parameters.Add("$d", SqliteType.Text);
        var at = ev.Parameters.Add("$at", SqliteType.Integer);
        foreach (var e in events)
        {
            j.Value = e.JobId;
            i.Value = e.Id;
            ty.Value = e.Type;
            d.Value = e.DataJson;
            at.Value = SqliteJobStore.ToMs(e.At);
            ev.ExecuteNonQuery();
        }
    }
}
