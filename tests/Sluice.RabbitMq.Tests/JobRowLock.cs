using Npgsql;

namespace Sluice.RabbitMq.Tests;

/// <summary>
/// A job's row in the PostgreSQL store locked by a transaction of its own (no key update, so the run's events are
/// still stored): a store write of that job waits on it until <see cref="ReleaseAsync"/>, which holds a window open.
/// </summary>
internal sealed class JobRowLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _db;
    private readonly NpgsqlTransaction _tx;

    private JobRowLock(NpgsqlConnection db, NpgsqlTransaction tx)
    {
        _db = db;
        _tx = tx;
    }

    public static async Task<JobRowLock> HoldAsync(string connectionString, string id)
    {
        var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        var tx = await db.BeginTransactionAsync();
        await using var locking = new NpgsqlCommand("SELECT 1 FROM jobs WHERE id = @id FOR NO KEY UPDATE", db, tx);
        locking.Parameters.AddWithValue("id", id);
        await locking.ExecuteScalarAsync();
        return new JobRowLock(db, tx);
    }

    /// <summary>Lets the waiting writes go on.</summary>
    public Task ReleaseAsync() => _tx.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await _tx.DisposeAsync();
        await _db.DisposeAsync();
    }
}
