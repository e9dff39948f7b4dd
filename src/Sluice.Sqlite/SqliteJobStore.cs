using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Sqlite;

/// <summary>
/// The embedded job store: one SQLite file in WAL mode. Writes go through a single writer that groups every
/// write waiting at that moment into one transaction (group commit), so an fsync is shared by many requests
/// and durability does not cap throughput. Reads use pooled connections and never wait for the writer.
/// </summary>
internal sealed partial class SqliteJobStore : IJobStore, IJobStoreWriteCheck, IAsyncDisposable
{
    private readonly SqliteStoreOptions _options;
    private readonly ILogger<SqliteJobStore> _logger;
    private readonly Channel<WriteOp> _writes = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _connectionString;
    private Task? _writerTask;
    private SqliteConnection? _writer;
    private DataDirLock? _lock;

    public SqliteJobStore(IOptions<SqliteStoreOptions> options, ILogger<SqliteJobStore> logger, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _noRoom = new NoRoomHold(time ?? TimeProvider.System);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(_options.DatabasePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // How long a statement waits for a lock another process holds (a sqlite3 shell in a transaction) before
            // it fails SQLITE_BUSY and a submit gets 503: Microsoft.Data.Sqlite's own retry for a busy statement
            // lasts this long (30 s by default) on top of SQLite's busy timeout, so the two are the same 5 s.
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
    }

    /// <summary>Longest wait for a lock held by another connection, in seconds.</summary>
    private const int BusyTimeoutSeconds = 5;

    /// <summary>Commits performed by the writer (for tests and metrics: fewer than writes means grouping works).</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    private long _commitCount;

    /// <summary>Why the latest group commit failed, or null once one succeeded (read by <see cref="CheckWritableAsync"/>).</summary>
    private volatile Exception? _writeFailure;

    /// <summary>The commit count at the end of the last write check.</summary>
    private long _commitsChecked;

    /// <summary>The latest commit of a submit refused for want of room (SQLITE_FULL), which the check's smaller write may not meet.</summary>
    private readonly NoRoomHold _noRoom;

    private readonly Lock _probeGate = new();

    /// <summary>The write check's probe in the writer's queue, shared by concurrent checks.</summary>
    private Task<bool>? _probe;

    public async ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        if (_writerTask is not null)
        {
            return;
        }

        SQLitePCL.Batteries_V2.Init();
        if (File.Exists(_options.DataDir))
        {
            // Directory.CreateDirectory would only say "the file already exists".
            throw new InvalidOperationException($"the data directory {Path.GetFullPath(_options.DataDir)} is a file, not a folder");
        }

        if (Directory.Exists(_options.DatabasePath))
        {
            // SQLite would only say "unable to open database file".
            throw new InvalidOperationException($"the job store {Path.GetFullPath(_options.DatabasePath)} is a folder, not a file; move it away or give this server another --data-dir");
        }

        Directory.CreateDirectory(_options.DataDir);
        _lock = DataDirLock.Acquire(_options.DataDir);
        try
        {
            _writer = new SqliteConnection(_connectionString);
            await _writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (SQLitePCL.raw.sqlite3_db_readonly(_writer.Handle, "main") == 1)
            {
                // SQLite falls back to read-only, silently, for a file it may not write (permissions, a read-only
                // mount): the server would start, report ready and refuse every job with 503 for as long as it ran.
                throw new InvalidOperationException("the file is read-only (its permissions, or a read-only file system), and the store must write every job it accepts");
            }

            // Before anything writes: a file a newer build migrated has columns and meanings this build does not know.
            var version = Convert.ToInt32(Scalar(_writer, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SqliteSchema.Version)
            {
                throw new InvalidOperationException(
                    $"its schema version {version} was written by a newer Sluice (this build knows {SqliteSchema.Version}); run that version on it, or give this one another --data-dir");
            }

            // SQLite answers with the mode it kept when it cannot switch (a folder where it may not create the -wal file).
            if (Scalar(_writer, "PRAGMA journal_mode=WAL;") is not string mode || !string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"the store could not switch to write-ahead logging (journal mode stays '{Scalar(_writer, "PRAGMA journal_mode;")}'); the folder must be writable");
            }

            Exec(_writer, $"PRAGMA synchronous={_options.Synchronous};");
            Exec(_writer, $"PRAGMA busy_timeout={BusyTimeoutSeconds * 1000};");
            if (version < SqliteSchema.Version)
            {
                using var tx = _writer.BeginTransaction();
                using (var cmd = _writer.CreateCommand())
                {
                    cmd.Transaction = tx;
                    // Each step once, in order, in one transaction with the version: an existing file is upgraded in place.
                    if (version < 1)
                    {
                        cmd.CommandText = SqliteSchema.V1;
                        cmd.ExecuteNonQuery();
                    }

                    if (version < 2)
                    {
                        cmd.CommandText = SqliteSchema.V2;
                        cmd.ExecuteNonQuery();
                    }

                    if (version < 3)
                    {
                        cmd.CommandText = SqliteSchema.V3;
                        cmd.ExecuteNonQuery();
                    }

                    if (version < 4)
                    {
                        cmd.CommandText = SqliteSchema.V4;
                        cmd.ExecuteNonQuery();
                    }

                    if (version < 5)
                    {
                        cmd.CommandText = SqliteSchema.V5;
                        cmd.ExecuteNonQuery();
                    }

                    cmd.CommandText = $"PRAGMA user_version={SqliteSchema.Version};";
                    cmd.ExecuteNonQuery();
                }

                tx.Commit();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Let go of the file and the folder, so that a fixed file can be opened again; say which file it was
            // (SQLite's own message, "file is not a database", does not).
            await CloseAfterFailedStartAsync().ConfigureAwait(false);
            // SQLITE_CORRUPT, SQLITE_NOTADB: nothing a retry fixes, and the server never overwrites the file itself.
            var hint = ex is SqliteException { SqliteErrorCode: 11 or 26 }
                ? "; it is not a job store this server can read: move it away (a new one is created in its place) or give this server another --data-dir"
                : "";
            throw new InvalidOperationException($"the job store {Path.GetFullPath(_options.DatabasePath)} could not be opened: {ex.Message}{hint}", ex);
        }
        catch
        {
            await CloseAfterFailedStartAsync().ConfigureAwait(false);
            throw;
        }

        _writerTask = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken) =>
        Enqueue(new CreateOp(job, _options.IdempotencyRetention));

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return ReadJob(conn, null, id);
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        await using var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = conn.CreateCommand();
        JobQuerySql.Prepare(cmd, $"SELECT {JobRecordReader.Columns} FROM jobs", '$', query);
        return ReadJobs(cmd);
    }

    public ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        Enqueue(new MarkRunningOp(id, attempt, startedAt));

    public ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken) =>
        Enqueue(new RetryOp(id, attempts, error, errorCode, retryAfter, notBefore, run));

    public ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken) =>
        Enqueue(new RerouteOp(id, model, modelVersion, inputJson, attempts, fallbackAllowed, run));

    public ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken) =>
        Enqueue(new CompleteOp(completion));

    public async ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken)
    {
        await using var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT id, type, data, at FROM events WHERE job_id = $id AND id > $after ORDER BY id";
        cmd.Parameters.AddWithValue("$id", jobId);
        cmd.Parameters.AddWithValue("$after", afterId);
        using var reader = cmd.ExecuteReader();
        var list = new List<JobEvent>();
        while (reader.Read())
        {
            list.Add(new JobEvent(jobId, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), FromMs(reader.GetInt64(3))));
        }

        return list;
    }

    public async ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT {JobRecordReader.Columns} FROM jobs WHERE status < 2 ORDER BY id";
        return ReadJobs(cmd);
    }

    public ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Enqueue(new RequeueOp(id, now));

    public ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) =>
        Enqueue(new RestoreDeadLetterOp(deadLetter, events));

    public async ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken)
    {
        await using var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT result FROM result_cache WHERE key = $key";
        cmd.Parameters.AddWithValue("$key", cacheKey);
        return cmd.ExecuteScalar() as string;
    }

    public async ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        await Enqueue(new PurgeOp(olderThan)).ConfigureAwait(false);

    public ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Enqueue(new PurgeJobsOp(now - _options.JobRetention, limit));

    public ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) =>
        Enqueue(new SecretOp(name, candidate, DateTimeOffset.UtcNow));

    public async ValueTask CheckWritableAsync(CancellationToken cancellationToken)
    {
        // A submit refused for want of room: the probe's one page may still fit, and readiness flapped with every refusal.
        _noRoom.ThrowIfHeld();

        // Commits went through since the last check, the latest of them fine: that is the answer, at no cost (under load).
        var commits = CommitCount;
        if (_writeFailure is null && Interlocked.Exchange(ref _commitsChecked, commits) != commits)
        {
            return;
        }

        // Idle, or the latest commit failed: one small write through the writer, as a submit's would go; one at a time,
        // so checks that give up on a writer held up (a lock held elsewhere waits out the busy timeout) do not queue more.
        Task<bool> probe;
        lock (_probeGate)
        {
            if (_probe is null || _probe.IsCompleted)
            {
                _probe = Enqueue(new ProbeOp()).AsTask();
            }

            probe = _probe;
        }

        await probe.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _commitsChecked, CommitCount);
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (_writerTask is not null)
        {
            await _writerTask.ConfigureAwait(false);
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        SqliteConnection.ClearAllPools();
        _lock?.Dispose();
    }

    private async ValueTask CloseAfterFailedStartAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
        }

        SqliteConnection.ClearAllPools();
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>Queues a write for the group-commit writer (internal: tests queue their own, such as a cap on the file's size).</summary>
    internal async ValueTask<T> Enqueue<T>(WriteOp<T> op)
    {
        if (_writerTask is null)
        {
            throw new InvalidOperationException("The store is not initialised.");
        }

        if (!_writes.Writer.TryWrite(op))
        {
            throw new ObjectDisposedException(nameof(SqliteJobStore));
        }

        return await op.Task.ConfigureAwait(false);
    }

    private async Task WriterLoop()
    {
        var conn = _writer!;
        var group = new List<WriteOp>(_options.MaxGroupSize);
        var reader = _writes.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < _options.MaxGroupSize && reader.TryRead(out var op))
            {
                group.Add(op);
            }

            SqliteTransaction? tx = null;
            var submits = false;
            try
            {
                tx = conn.BeginTransaction();
                for (var i = 0; i < group.Count; i++)
                {
                    // A savepoint per write: one failing write (a constraint, a bad row) fails alone, not its group.
                    Exec(conn, tx, "SAVEPOINT w;");
                    try
                    {
                        group[i].Execute(conn, tx);
                        Exec(conn, tx, "RELEASE w;");
                        submits |= group[i] is CreateOp;
                    }
                    catch (SqliteException ex)
                    {
                        if (RolledBackBySqlite(conn))
                        {
                            // A full disk or an I/O error: SQLite dropped the whole transaction, savepoint and all.
                            throw;
                        }

                        Exec(conn, tx, "ROLLBACK TO w; RELEASE w;");
                        if (ex.SqliteErrorCode == 13 && group[i] is CreateOp)
                        {
                            // SQLITE_FULL may roll back the statement only: the submit is refused for want of room all the same.
                            _noRoom.Refused(ex.Message);
                        }

                        group[i].Fail(ex);
                    }
                }

                tx.Commit();
                _writeFailure = null;
                if (submits)
                {
                    _noRoom.Wrote();
                }

                Interlocked.Increment(ref _commitCount);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Publish();
                }
            }
            catch (Exception ex)
            {
                Log.CommitFailed(_logger, ex, group.Count);
                var failure = Unavailable(ex);
                _writeFailure = failure;
                if (ex is SqliteException { SqliteErrorCode: 13 } && HasSubmit(group))
                {
                    _noRoom.Refused(ex.Message);
                }

                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Fail(failure);
                }

                if (tx is not null)
                {
                    EndFailedTransaction(conn, tx);
                }
            }
        }
    }

    /// <summary>
    /// A failure a later retry can get past (a lock another process holds, a full disk, an I/O error, a file made
    /// read-only) as <see cref="StoreUnavailableException"/>: every endpoint answers it 503 with Retry-After, where a
    /// SqliteException became a 500 on any path but the submit's.
    /// </summary>
    private static Exception Unavailable(Exception ex) => ex is SqliteException { SqliteErrorCode: 5 or 6 or 8 or 10 or 13 }
        ? new StoreUnavailableException($"the job store cannot write now: {ex.Message}", ex)
        : ex;

    private static bool HasSubmit(List<WriteOp> group)
    {
        for (var i = 0; i < group.Count; i++)
        {
            if (group[i] is CreateOp)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when SQLite rolled the writer's transaction back by itself (SQLITE_FULL, SQLITE_IOERR …).</summary>
    private static bool RolledBackBySqlite(SqliteConnection conn) => SQLitePCL.raw.sqlite3_get_autocommit(conn.Handle) != 0;

    /// <summary>
    /// Lets go of a group's transaction after a failure, leaving the writer able to begin the next. When SQLite has
    /// already rolled it back (a COMMIT that found the disk full), Microsoft.Data.Sqlite 6 may still send its own
    /// ROLLBACK, which fails ("no transaction is active") before it forgets the transaction: every later
    /// BeginTransaction then threw "nested transactions" until a restart (dotnet/efcore#36561). An empty transaction
    /// begun for that ROLLBACK to end lets it complete.
    /// </summary>
    private void EndFailedTransaction(SqliteConnection conn, SqliteTransaction tx)
    {
        try
        {
            try
            {
                tx.Dispose();
            }
            catch (SqliteException) when (RolledBackBySqlite(conn))
            {
                SQLitePCL.raw.sqlite3_exec(conn.Handle, "BEGIN;");
                tx.Dispose();
            }
        }
        catch (Exception ex)
        {
            Log.RollbackFailed(_logger, ex);
        }
    }

    private async ValueTask<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        return conn;
    }

    internal static JobRecord? ReadJob(SqliteConnection conn, SqliteTransaction? tx, string id)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {JobRecordReader.Columns} FROM jobs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        var list = ReadJobs(cmd);
        return list.Count == 0 ? null : list[0];
    }

    private static List<JobRecord> ReadJobs(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<JobRecord>();
        while (r.Read())
        {
            list.Add(JobRecordReader.Read(r));
        }

        return list;
    }

    internal static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    internal static object ToMs(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>The parameters <see cref="JobCompletionSql.RunGuard"/> names, when a write is on behalf of a run.</summary>
    internal static void AddRun(SqliteCommand cmd, JobRun? run)
    {
        if (run is not null)
        {
            cmd.Parameters.AddWithValue("$run_attempt", run.Attempt);
            cmd.Parameters.AddWithValue("$run_started", ToMs(run.StartedAt));
        }
    }

    internal static object Db(string? s) => s is null ? DBNull.Value : s;

    internal static object Db(int? v) => v is { } x ? x : DBNull.Value;

    internal static object Db(double? v) => v is { } x ? x : DBNull.Value;

    /// <summary>A wait as whole milliseconds (rounded up, so a wait is never stored shorter), or null.</summary>
    internal static object Db(TimeSpan? v) => v is { } x ? (long)Math.Ceiling(x.TotalMilliseconds) : DBNull.Value;

    private static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static void Exec(SqliteConnection conn, SqliteTransaction tx, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
