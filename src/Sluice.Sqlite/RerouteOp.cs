using Microsoft.Data.Sqlite;
using Sluice.Core.Storage;

namespace Sluice.Sqlite;

/// <summary>
/// Moves a job not yet terminal to its fallback model, queued again (see <c>IJobStore.RerouteAsync</c>), with the
/// permission to move it leaves with (none after a move: a job moves at most once, also after a recovery). With a run,
/// only while the job is still running it.
/// </summary>
internal sealed class RerouteOp(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, JobRun? run) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"UPDATE jobs SET model = $m, model_version = $mv, input = $in, cache_key = NULL, fallback_allowed = $fa, status = 0, attempts = $a WHERE id = $id AND {JobCompletionSql.RunGuard(run, '$')}";
        cmd.Parameters.AddWithValue("$m", model);
        cmd.Parameters.AddWithValue("$mv", SqliteJobStore.Db(modelVersion));
        cmd.Parameters.AddWithValue("$in", inputJson);
        cmd.Parameters.AddWithValue("$a", attempts);
        cmd.Parameters.AddWithValue("$fa", fallbackAllowed ? 1 : 0);
        cmd.Parameters.AddWithValue("$id", id);
        SqliteJobStore.AddRun(cmd, run);
        SetResult(cmd.ExecuteNonQuery() == 1);
    }
}
