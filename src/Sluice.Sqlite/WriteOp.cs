using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>One write of the group-commit writer: executes inside the group's transaction, resolves after commit.</summary>
internal abstract class WriteOp
{
    public abstract void Execute(SqliteConnection conn, SqliteTransaction tx);

    /// <summary>Resolves the caller's task once the group is committed.</summary>
    public abstract void Publish();

    public abstract void Fail(Exception ex);
}
