using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>Stores <paramref name="candidate"/> as the secret <paramref name="name"/> unless one is stored; the stored one.</summary>
internal sealed class SecretOp(string name, byte[] candidate, DateTimeOffset at) : WriteOp<byte[]>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR IGNORE INTO secrets(name, value, created_at) VALUES ($n, $v, $at); SELECT value FROM secrets WHERE name = $n;";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$v", candidate);
        cmd.Parameters.AddWithValue("$at", SqliteJobStore.ToMs(at));
        SetResult((byte[])cmd.ExecuteScalar()!);
    }
}
