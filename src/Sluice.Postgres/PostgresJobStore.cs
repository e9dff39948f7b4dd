using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;

namespace Sluice.Postgres;

/// <summary>
/// The job store on PostgreSQL, shared by every gateway and worker. Same semantics as the SQLite store:
/// completion is idempotent by job id (<c>WHERE status &lt; 2</c>), idempotency keys are claimed atomically,
/// dead letters are jobs in status 6. It also keeps the events of running jobs (<see cref="IJobEventStore"/>),
/// so a stream can be resumed on any gateway. Connections come from one pooled <see cref="NpgsqlDataSource"/>;
/// transient errors are retried a few times, briefly, so an outage surfaces fast as 503 instead of hanging.
/// </summary>
internal sealed partial class PostgresJobStore : IJobStore, IJobStoreWriteCheck, IJobEventStore, IJobPublicationStore, IJobDeadlineStore, IJobQueuedCountStore, IAsyncDisposable
{
    private const string Columns = JobRecordReader.Columns;

    private readonly PostgresStoreOptions _options;
    private readonly ILogger<PostgresJobStore> _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    /// <summary>The latest submit refused for want of room (53100), which the write check's update does not meet.</summary>
    private readonly NoRoomHold _noRoom;

    /// <summary>
    /// When the write check last went unanswered (a <see cref="_time"/> timestamp; <see cref="Answered"/> once a later
    /// one was answered): the readiness signal, which requests read too (<see cref="ThrowIfNotAnswering"/>).
    /// </summary>
    private long _checkUnansweredAt = Answered;

    private const long Answered = long.MinValue;

    /// <summary>
    /// How long after an unanswered write check a request fails at once instead of waiting out the connect and command
    /// timeouts on a server that answers nothing (frozen, partitioned): past Kubernetes' 5 s readiness period plus the
    /// check's 0.8 s, so probes keep it in force for the whole outage; nobody probing, it lapses and requests try again.
    /// </summary>
    internal static readonly TimeSpan FailFastFor = TimeSpan.FromSeconds(6);

    /// <summary>Cancels the index build at disposal (an interrupted build is recovered at the next start).</summary>
    private readonly CancellationTokenSource _disposing = new();
    private int _initialized;
    private int _indexBuildStarted;
    private int _disposed;

    public PostgresJobStore(IOptions<PostgresStoreOptions> options, ILogger<PostgresJobStore> logger, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _noRoom = new NoRoomHold(_time);
        var b = PostgresUrl.Parse(_options.Url);
        b.Pooling = true;
        b.MaxPoolSize = _options.MaxPoolSize;
        b.Timeout = _options.ConnectTimeoutSeconds;
        b.CommandTimeout = _options.CommandTimeoutSeconds;
        b.ApplicationName ??= "sluice";
        _dataSource = NpgsqlDataSource.Create(b.ConnectionString);
    }

    public NpgsqlDataSource DataSource => _dataSource;

    public async ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _initialized) == 1)
        {
            return;
        }

        // The store may come up after the process (compose, Kubernetes): wait for it rather than crash-looping.
        var until = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            try
            {
                await MigrateAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (NpgsqlException ex) when (ex.IsTransient)
            {
                if (DateTime.UtcNow >= until)
                {
                    // Npgsql's words ("Failed to connect to 127.0.0.1:5432") name neither the store nor the setting.
                    throw new InvalidOperationException(
                        $"PostgreSQL at {PostgresUrl.Redact(_options.Url)} is not reachable ({ex.Message.Split('\n')[0].TrimEnd()}) after waiting {_options.StartTimeout.TotalSeconds:0} s; check the host and port of Sluice:Store:Url and that the server runs", ex);
                }

                Log.WaitingForServer(_logger, PostgresUrl.Redact(_options.Url), ex.Message);
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal) || ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                // A wrong role, password or database does not heal by waiting: one line saying which setting to fix.
                throw new InvalidOperationException(
                    $"PostgreSQL at {PostgresUrl.Redact(_options.Url)} refused the connection ({ex.MessageText}); check the user, password and database of Sluice:Store:Url", ex);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // The role logs in but may not create Sluice's tables (PostgreSQL 15 and later no longer let every role
                // create in a database's public schema; a URL without a database lands in "postgres"). Bare, this was
                // "42501: permission denied for schema public", naming neither the store nor the setting.
                throw new InvalidOperationException(
                    $"PostgreSQL at {PostgresUrl.Redact(_options.Url)} refused Sluice's schema setup ({ex.MessageText}); the role of Sluice:Store:Url must own the database or have CREATE on its public schema", ex);
            }
        }

        Volatile.Write(ref _initialized, 1);
        if (Interlocked.Exchange(ref _indexBuildStarted, 1) == 0)
        {
            // In the background: on a big table the build takes minutes, and the process must not wait for it to listen
            // (a liveness probe would kill it mid-build, again and again). The purge works without the index meanwhile.
            FinishedIndexBuild = Task.Run(() => BuildFinishedIndexAsync(_disposing.Token), CancellationToken.None);
        }
    }

    /// <summary>This process's check (and, when needed and no other process does it, build) of the jobs_finished index.</summary>
    internal Task FinishedIndexBuild { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Makes sure the jobs_finished index (<see cref="PostgresSchema.FinishedIndex"/>) exists and is valid, on every start
    /// (a build interrupted by a crash leaves it INVALID after the version is recorded): one process builds it, under a
    /// session advisory lock that the others only try, so they start at once. An invalid index is dropped first. A
    /// failure is logged, never thrown: the index speeds up the purge and is tried again at the next start.
    /// </summary>
    private async Task BuildFinishedIndexAsync(CancellationToken ct)
    {
        try
        {
            await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            if (await FinishedIndexValidAsync(conn, ct).ConfigureAwait(false) == true)
            {
                return;
            }

            await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({PostgresSchema.FinishedIndexLock})", conn))
            {
                // Not a waiting lock: a waiter's open statement is a snapshot the concurrent build waits for in turn.
                if (await tryLock.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                {
                    return;
                }
            }

            try
            {
                // Read again under the lock: the process that held it before may have just finished the build.
                var valid = await FinishedIndexValidAsync(conn, ct).ConfigureAwait(false);
                if (valid == true)
                {
                    return;
                }

                if (valid == false)
                {
                    Log.DroppingInvalidIndex(_logger);
                    await ExecUnboundedAsync(conn, PostgresSchema.DropFinishedIndex, ct).ConfigureAwait(false);
                }

                Log.BuildingIndex(_logger);
                var started = Environment.TickCount64;
                await ExecUnboundedAsync(conn, PostgresSchema.FinishedIndex, ct).ConfigureAwait(false);
                Log.BuiltIndex(_logger, Environment.TickCount64 - started);
            }
            finally
            {
                // A cancelled or failed build leaves the connection usable; a broken one ends the session, and its lock.
                if (conn.State == System.Data.ConnectionState.Open)
                {
                    await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresSchema.FinishedIndexLock})", conn);
                    await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (NpgsqlException ex)
        {
            Log.IndexBuildFailed(_logger, ex.Message);
        }
    }

    private static async ValueTask<bool?> FinishedIndexValidAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PostgresSchema.FinishedIndexValid, conn);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool valid ? valid : null;
    }

    /// <summary>A statement outside any transaction and without the command timeout (an index build takes as long as the table).</summary>
    private static async ValueTask ExecUnboundedAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({PostgresSchema.MigrationLock})", ct).ConfigureAwait(false);
        await Exec(conn, tx, PostgresSchema.Bootstrap, ct).ConfigureAwait(false);
        await using var v = new NpgsqlCommand("SELECT max(version) FROM sluice_schema", conn, tx);
        var current = await v.ExecuteScalarAsync(ct).ConfigureAwait(false) is int n ? n : 0;
        if (current > PostgresSchema.Version)
        {
            // Before anything writes (the transaction rolls back): a database a newer build migrated has columns and
            // meanings this build does not know, and its writes would corrupt them, as the SQLite store refuses too.
            throw new InvalidOperationException(
                $"PostgreSQL at {PostgresUrl.Redact(_options.Url)} holds Sluice schema version {current}, written by a newer Sluice (this build knows {PostgresSchema.Version}); upgrade this Sluice to the version that wrote it, or point Sluice:Store:Url at another database");
        }

        if (current < PostgresSchema.Version)
        {
            // Each step once, from the stored version up, as in the SQLite store (V1's indexes would lock jobs again).
            await Exec(conn, tx, current < 1 ? PostgresSchema.V1 : PostgresSchema.TakeTokens, ct).ConfigureAwait(false);
            if (current < 2)
            {
                await Exec(conn, tx, PostgresSchema.V2, ct).ConfigureAwait(false);
            }

            if (current < 3)
            {
                await Exec(conn, tx, PostgresSchema.V3, ct).ConfigureAwait(false);
            }

            if (current < 4)
            {
                await Exec(conn, tx, PostgresSchema.V4, ct).ConfigureAwait(false);
            }

            if (current < 5)
            {
                await Exec(conn, tx, PostgresSchema.V5, ct).ConfigureAwait(false);
            }

            if (current < 6)
            {
                await Exec(conn, tx, PostgresSchema.V6, ct).ConfigureAwait(false);
            }

            // Version 7's index (jobs_finished) is built after this commits, concurrently: see BuildFinishedIndexAsync.
            await Exec(conn, tx, $"DELETE FROM sluice_schema; INSERT INTO sluice_schema(version) VALUES ({PostgresSchema.Version})", ct).ConfigureAwait(false);
            Log.Migrated(_logger, current, PostgresSchema.Version);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An update that matches no row: it changes nothing and writes no WAL, yet PostgreSQL refuses it as it refuses a
    /// submit's insert in a read-only transaction (<c>default_transaction_read_only</c>, a standby after a failover) or on
    /// a server it cannot reach. Not retried: readiness answers within its timeout and asks again. A check the server
    /// does not answer (the caller gives up, or no connection) makes requests fail fast for <see cref="FailFastFor"/>,
    /// until a check is answered; a refusal (read-only) does not, as that server still answers lookups.
    /// </summary>
    public async ValueTask CheckWritableAsync(CancellationToken cancellationToken)
    {
        // A full disk refuses only writes that need a new page (a submit's insert, "could not extend file"): this
        // update writes nothing, and even a real one-row update fits its page, so the refused submit is what tells.
        _noRoom.ThrowIfHeld();
        var unanswered = cancellationToken.Register(static s => ((PostgresJobStore)s!).MarkUnanswered(), this);
        var answered = false;
        try
        {
            await Retry(static async (s, _, _, ct) =>
            {
                await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand("UPDATE sluice_schema SET version = version WHERE false", conn);
                return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, 0, cancellationToken, retries: 0, failFast: false).ConfigureAwait(false);
            answered = true;
        }
        catch (Exception ex) when (ex is PostgresException || ex.InnerException is PostgresException)
        {
            // Answered: refused (read-only …), or the caller gave up and the server cancelled the query (Npgsql's
            // OperationCanceledException around 57014), as a slow but live server does; only a frozen one says nothing.
            answered = true;
            throw;
        }
        catch (StoreUnavailableException)
        {
            MarkUnanswered();
            throw;
        }
        finally
        {
            // Disposed first: a caller giving up at the last moment must not mark a check answered just now.
            await unanswered.DisposeAsync().ConfigureAwait(false);
            if (answered)
            {
                Volatile.Write(ref _checkUnansweredAt, Answered);
            }
        }
    }

    private void MarkUnanswered() => Volatile.Write(ref _checkUnansweredAt, _time.GetTimestamp());

    /// <summary>
    /// Refuses a request before it sends anything while the latest write check went unanswered within
    /// <see cref="FailFastFor"/>: the store is known not to answer, and nothing sent means nothing stored, so the 503
    /// is true (a retry of an attempt already sent is not refused here: its first try may have committed).
    /// </summary>
    internal void ThrowIfNotAnswering()
    {
        var at = Volatile.Read(ref _checkUnansweredAt);
        if (at != Answered && _time.GetElapsedTime(at) < FailFastFor)
        {
            ThrowNotAnswering(_time.GetElapsedTime(at));
        }
    }

    private static void ThrowNotAnswering(TimeSpan ago) =>
        throw new StoreUnavailableException(FormattableString.Invariant($"the job store did not answer its last write check ({ago.TotalSeconds:0.0} s ago); not waiting for it"));

    public async ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        // Set once a try's COMMIT was sent and not answered: from then on the job may exist whatever later tries meet.
        var commit = new StrongBox<bool>();
        try
        {
            var created = await Retry(static (s, c, attempt, ct) => s.CreateOnceAsync(c.Job, c.Commit, attempt, ct), (Job: job, Commit: commit), cancellationToken).ConfigureAwait(false);
            if (created.Created)
            {
                _noRoom.Wrote();
            }

            return created;
        }
        catch (Exception ex) when (commit.Value && ex is not OperationCanceledException)
        {
            // A try's COMMIT went unanswered, and no later try got through: the job may be stored. The caller refuses the
            // submit all the same and must see to it that such a job ends refused, never run (see PendingRefusals).
            throw new StoreUnavailableException("the job store did not answer the submit's commit: " + ex.Message, ex, outcomeUnknown: true);
        }
        catch (StoreUnavailableException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.DiskFull } full)
        {
            // Held for readiness (NoRoomHold): the write check alone would say all is well.
            _noRoom.Refused($"{full.SqlState}: {full.MessageText}");
            throw;
        }
    }

    private async ValueTask<CreateJobResult> CreateOnceAsync(JobRecord job, StrongBox<bool> commitUnanswered, int attempt, CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (job.IdempotencyKey is not null)
        {
            // Claim the key, or take it over when it is older than the retention; otherwise the original job wins.
            await using var claim = new NpgsqlCommand(
                """
                INSERT INTO idempotency(owner, key, job_id, created_at) VALUES (@o, @k, @id, @at)
                ON CONFLICT (owner, key) DO UPDATE SET job_id = EXCLUDED.job_id, created_at = EXCLUDED.created_at
                    WHERE idempotency.created_at < @since OR idempotency.job_id = EXCLUDED.job_id
                RETURNING job_id
                """, conn, tx);
            claim.Parameters.AddWithValue("o", job.Owner);
            claim.Parameters.AddWithValue("k", job.IdempotencyKey);
            claim.Parameters.AddWithValue("id", job.Id);
            claim.Parameters.AddWithValue("at", ToMs(job.CreatedAt));
            claim.Parameters.AddWithValue("since", ToMs(job.CreatedAt - _options.IdempotencyRetention));
            if (await claim.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
            {
                await using var find = new NpgsqlCommand("SELECT job_id FROM idempotency WHERE owner = @o AND key = @k", conn, tx);
                find.Parameters.AddWithValue("o", job.Owner);
                find.Parameters.AddWithValue("k", job.IdempotencyKey);
                if (await find.ExecuteScalarAsync(ct).ConfigureAwait(false) is string existingId
                    && await ReadJobAsync(conn, tx, existingId, ct).ConfigureAwait(false) is { } existing)
                {
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                    return new CreateJobResult(existing, false);
                }
            }
        }

        await using var cmd = new NpgsqlCommand(
            $"""
            INSERT INTO jobs ({Columns})
            VALUES (@id, @model, @mv, @input, @prio, @owner, @status, @created, @deadline, @attempts, @max, @started,
                @completed, @nb, @result, @error, @bs, @qms, @rms, @tp, @ik, @rh, @ck, @fa, @ec, @ra)
            ON CONFLICT (id) DO NOTHING
            """, conn, tx);
        var p = cmd.Parameters;
        p.AddWithValue("id", job.Id);
        p.AddWithValue("model", job.Model);
        p.AddWithValue("mv", NpgsqlDbType.Text, Db(job.ModelVersion));
        p.AddWithValue("input", job.InputJson);
        p.AddWithValue("prio", (int)job.Priority);
        p.AddWithValue("owner", job.Owner);
        p.AddWithValue("status", (int)job.Status);
        p.AddWithValue("created", ToMs(job.CreatedAt));
        p.AddWithValue("deadline", NpgsqlDbType.Bigint, ToMs(job.Deadline));
        p.AddWithValue("attempts", job.Attempts);
        p.AddWithValue("max", job.MaxAttempts);
        p.AddWithValue("started", NpgsqlDbType.Bigint, ToMs(job.StartedAt));
        p.AddWithValue("completed", NpgsqlDbType.Bigint, ToMs(job.CompletedAt));
        p.AddWithValue("nb", NpgsqlDbType.Bigint, ToMs(job.NotBefore));
        p.AddWithValue("result", NpgsqlDbType.Text, Db(job.ResultJson));
        p.AddWithValue("error", NpgsqlDbType.Text, DbText(job.Error));
        p.AddWithValue("bs", NpgsqlDbType.Integer, job.BatchSize is { } bs ? bs : DBNull.Value);
        p.AddWithValue("qms", NpgsqlDbType.Double, job.QueuedMs is { } q ? q : DBNull.Value);
        p.AddWithValue("rms", NpgsqlDbType.Double, job.RunMs is { } r ? r : DBNull.Value);
        p.AddWithValue("tp", NpgsqlDbType.Text, Db(job.TraceParent));
        p.AddWithValue("ik", NpgsqlDbType.Text, Db(job.IdempotencyKey));
        p.AddWithValue("rh", NpgsqlDbType.Text, Db(job.RequestHash));
        p.AddWithValue("ck", NpgsqlDbType.Text, Db(job.CacheKey));
        p.AddWithValue("fa", job.FallbackAllowed);
        p.AddWithValue("ec", NpgsqlDbType.Text, Db(job.ErrorCode));
        p.AddWithValue("ra", NpgsqlDbType.Bigint, Db(job.RetryAfter));
        var inserted = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        try
        {
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not PostgresException)
        {
            // No answer (a broken connection, a timeout, a cancel): PostgreSQL may have committed. An error it answered did not.
            commitUnanswered.Value = true;
            throw;
        }

        // 0 rows only on a retry whose first try committed but lost its answer: the job is ours all the same.
        _ = inserted == 0 && attempt > 0;
        return new CreateJobResult(job, true);
    }

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken) =>
        await Retry(static async (s, id, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await ReadJobAsync(conn, null, id, ct).ConfigureAwait(false);
        }, id, cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken) =>
        Retry(static async (s, query, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand { Connection = conn };
            JobQuerySql.Prepare(cmd, $"SELECT {Columns} FROM jobs", '@', query);
            return (IReadOnlyList<JobRecord>)await ReadJobsAsync(cmd, ct).ConfigureAwait(false);
        }, query, cancellationToken);

    public ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("UPDATE jobs SET status = 1, attempts = @a, started_at = @t, not_before = NULL WHERE id = @id AND status < 2", conn);
            cmd.Parameters.AddWithValue("a", a.attempt);
            cmd.Parameters.AddWithValue("t", ToMs(a.startedAt));
            cmd.Parameters.AddWithValue("id", a.id);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, (id, attempt, startedAt), cancellationToken);

    public ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken) =>
        Retry(static async (s, a, attempt, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // The failure's code and wait go with its error: a run handed back at a stop (no error) leaves all three.
            await using var cmd = new NpgsqlCommand(
                $"""
                UPDATE jobs SET status = 0, attempts = @a, error = COALESCE(@e, error), error_code = CASE WHEN @e IS NULL THEN error_code ELSE @ec END,
                    retry_after_ms = CASE WHEN @e IS NULL THEN retry_after_ms ELSE @ra END, not_before = @nb
                WHERE id = @id AND {JobCompletionSql.RunGuard(a.run, '@')}
                """, conn);
            cmd.Parameters.AddWithValue("a", a.attempts);
            cmd.Parameters.Add(new NpgsqlParameter<string?>("e", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = StoredText.WithoutNul(a.error) });
            cmd.Parameters.AddWithValue("ec", NpgsqlDbType.Text, Db(a.errorCode));
            cmd.Parameters.AddWithValue("ra", NpgsqlDbType.Bigint, Db(a.retryAfter));
            cmd.Parameters.AddWithValue("nb", ToMs(a.notBefore));
            cmd.Parameters.AddWithValue("id", a.id);
            AddRun(cmd, a.run);
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
            {
                return true;
            }

            // On a retry, the first try may have committed and lost its answer (the run guard then refuses the second).
            return attempt > 0 && await IsRowAsync(conn, "status = 0 AND attempts = @a AND not_before = @v", a.id, a.attempts, ToMs(a.notBefore), ct).ConfigureAwait(false);
        }, (id, attempts, error, errorCode, retryAfter, notBefore, run), cancellationToken);

    public ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken) =>
        Retry(static async (s, a, attempt, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // Unconfirmed again, claimed by the mover at @t (the sweep's negative marker): the copy for the new model is
            // published after this, and the old copy is dropped once its model no longer matches. A mover that dies in
            // between would leave the job in no queue; the sweep republishes it once the claim is RepublishAfter old.
            await using var cmd = new NpgsqlCommand(
                $"UPDATE jobs SET model = @m, model_version = @mv, input = @in, cache_key = NULL, fallback_allowed = @fa, status = 0, attempts = @a, published_at = -@t WHERE id = @id AND {JobCompletionSql.RunGuard(a.run, '@')}", conn);
            cmd.Parameters.AddWithValue("m", a.model);
            cmd.Parameters.Add(new NpgsqlParameter<string?>("mv", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = a.modelVersion });
            cmd.Parameters.AddWithValue("in", a.inputJson);
            cmd.Parameters.AddWithValue("a", a.attempts);
            cmd.Parameters.AddWithValue("fa", a.fallbackAllowed);
            cmd.Parameters.AddWithValue("t", ToMs(a.at));
            cmd.Parameters.AddWithValue("id", a.id);
            AddRun(cmd, a.run);
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
            {
                return true;
            }

            // As for a retry: a first try that committed and lost its answer left the job queued under this very claim.
            return attempt > 0 && await IsRowAsync(conn, "status = 0 AND attempts = @a AND published_at = -@v", a.id, a.attempts, ToMs(a.at), ct).ConfigureAwait(false);
        }, (id, model, modelVersion, inputJson, attempts, fallbackAllowed, at, run), cancellationToken);

    /// <summary>The parameters <see cref="JobCompletionSql.RunGuard"/> names, when a write is on behalf of a run.</summary>
    private static void AddRun(NpgsqlCommand cmd, JobRun? run)
    {
        if (run is not null)
        {
            cmd.Parameters.AddWithValue("run_attempt", run.Attempt);
            cmd.Parameters.AddWithValue("run_started", ToMs(run.StartedAt));
        }
    }

    /// <summary>Whether job <paramref name="id"/> matches <paramref name="condition"/> over the parameters <c>a</c> and <c>v</c>.</summary>
    private static async ValueTask<bool> IsRowAsync(NpgsqlConnection conn, string condition, string id, int a, long v, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT 1 FROM jobs WHERE id = @id AND {condition}", conn);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("a", a);
        cmd.Parameters.AddWithValue("v", v);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    public ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken) =>
        Retry(static (s, c, attempt, ct) => s.CompleteOnceAsync(c, attempt, ct), completion, cancellationToken);

    private async ValueTask<bool> CompleteOnceAsync(JobCompletion c, int attempt, CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            $"""
            UPDATE jobs SET status = @s, result = @r, error = COALESCE(@e, error), batch_size = @bs, queued_ms = @q,
                run_ms = @rm, completed_at = @t, not_before = NULL, error_code = COALESCE(@ec, error_code),
                retry_after_ms = CASE WHEN @ec::text IS NULL THEN retry_after_ms ELSE @ra END
            WHERE id = @id AND {JobCompletionSql.Guard(c, '@')}
            """, conn, tx);
        var p = cmd.Parameters;
        p.AddWithValue("s", (int)c.Status);
        p.AddWithValue("r", NpgsqlDbType.Text, Db(c.ResultJson));
        p.AddWithValue("e", NpgsqlDbType.Text, DbText(c.Error));
        p.AddWithValue("ec", NpgsqlDbType.Text, Db(c.ErrorCode));
        p.AddWithValue("ra", NpgsqlDbType.Bigint, Db(c.RetryAfter));
        p.AddWithValue("bs", NpgsqlDbType.Integer, c.BatchSize is { } bs ? bs : DBNull.Value);
        p.AddWithValue("q", NpgsqlDbType.Double, c.QueuedMs is { } q ? q : DBNull.Value);
        p.AddWithValue("rm", NpgsqlDbType.Double, c.RunMs is { } rm ? rm : DBNull.Value);
        p.AddWithValue("t", ToMs(c.CompletedAt));
        p.AddWithValue("id", c.JobId);
        if (c.OnlyIfRunningPastDeadline is { } cutoff)
        {
            p.AddWithValue("cutoff", ToMs(cutoff));
        }

        AddRun(cmd, c.Run);

        if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            // On a retry, the first try may have committed and lost its answer: that completion is ours.
            return attempt > 0 && await IsSameCompletionAsync(conn, c, ct).ConfigureAwait(false);
        }

        var events = c.Events;
        if (c.EventsFollowStored && events.Count > 0)
        {
            // After the row update: a run's guarded insert share-locks the row, so every event it stored is visible here
            // and any it stores later is refused behind the terminal event.
            await using var max = new NpgsqlCommand("SELECT COALESCE(MAX(id), 0) FROM events WHERE job_id = @id", conn, tx);
            max.Parameters.AddWithValue("id", c.JobId);
            events = JobCompletion.NumberAfter(events, Convert.ToInt64(await max.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture));
        }

        if (events.Count > 0)
        {
            await InsertEventsAsync(conn, tx, events, ct).ConfigureAwait(false);
        }

        if (c.ReleaseIdempotencyKey)
        {
            await using var release = new NpgsqlCommand("DELETE FROM idempotency WHERE (owner, key) = (SELECT owner, idempotency_key FROM jobs WHERE id = @id) AND job_id = @id", conn, tx);
            release.Parameters.AddWithValue("id", c.JobId);
            await release.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        if (c.CacheKey is not null && c.ResultJson is not null)
        {
            await using var cache = new NpgsqlCommand(
                "INSERT INTO result_cache(key, result, created_at) VALUES (@k, @r, @t) ON CONFLICT (key) DO UPDATE SET result = EXCLUDED.result, created_at = EXCLUDED.created_at",
                conn, tx);
            cache.Parameters.AddWithValue("k", c.CacheKey);
            cache.Parameters.AddWithValue("r", c.ResultJson);
            cache.Parameters.AddWithValue("t", ToMs(c.CompletedAt));
            await cache.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    private static async ValueTask<bool> IsSameCompletionAsync(NpgsqlConnection conn, JobCompletion c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM jobs WHERE id = @id AND status = @s AND completed_at = @t", conn);
        cmd.Parameters.AddWithValue("id", c.JobId);
        cmd.Parameters.AddWithValue("s", (int)c.Status);
        cmd.Parameters.AddWithValue("t", ToMs(c.CompletedAt));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    public ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT id, type, data, at FROM events WHERE job_id = @id AND id > @after ORDER BY id", conn);
            cmd.Parameters.AddWithValue("id", a.jobId);
            cmd.Parameters.AddWithValue("after", a.afterId);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<JobEvent>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new JobEvent(a.jobId, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), FromMs(reader.GetInt64(3))));
            }

            return (IReadOnlyList<JobEvent>)list;
        }, (jobId, afterId), cancellationToken);

    public async ValueTask<IReadOnlyList<JobEvent>> AppendEventsAsync(IReadOnlyList<JobEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return [];
        }

        return await Retry(static async (s, events, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await InsertGuardedEventsAsync(conn, events, ct).ConfigureAwait(false);
        }, events, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Events of running jobs, one statement for many: the job rows are share-locked first, so a completion
    /// (which updates the row) commits either before the check (and its terminal event refuses what follows) or
    /// after the insert. Refused: ids after a stored terminal event, another event under a terminal event's id (a
    /// settle from another process numbered its terminal event there first), and events of a run the job is no longer in:
    /// one whose identity (attempt and start) is not the job's, or, for an event that names its attempt only, an attempt
    /// the job has moved past. Attempts alone miss a requeued dead letter's stale run (the next run counts from 1 again).
    /// A <c>retrying</c> or <c>rerouted</c> event may still land late: it closes its own run and names the next.
    /// Refused too: events of a job the store does not hold (purged after its retention, events included), which would
    /// otherwise be orphan rows no purge ever deletes. Its row cannot go between the check and the insert: the share
    /// lock makes the purge (<c>SKIP LOCKED</c>) pass it by.
    /// </summary>
    private static async ValueTask<IReadOnlyList<JobEvent>> InsertGuardedEventsAsync(NpgsqlConnection conn, IReadOnlyList<JobEvent> events, CancellationToken ct)
    {
        var columns = PostgresEventArrays.From(events);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lockRows = new NpgsqlCommand("SELECT 1 FROM jobs WHERE id = ANY(@j) ORDER BY id FOR SHARE", conn, tx))
        {
            lockRows.Parameters.AddWithValue("j", columns.Jobs.Distinct(StringComparer.Ordinal).ToArray());
            await lockRows.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var cmd = new NpgsqlCommand(
            """
            WITH u AS (SELECT * FROM unnest(@j, @i, @t, @d, @a, @n, @r) AS u(job_id, id, type, data, at, attempt, run_started)),
            ok AS (
                SELECT u.* FROM u
                WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id)
                    AND NOT EXISTS (SELECT 1 FROM events t WHERE t.job_id = u.job_id
                        AND t.type IN ('completed', 'failed', 'cancelled', 'expired', 'dead_lettered')
                        AND t.id <= u.id AND (t.id < u.id OR t.type <> u.type))
                    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id AND u.attempt IS NOT NULL
                        AND u.type NOT IN ('retrying', 'rerouted')
                        AND CASE WHEN u.run_started IS NULL THEN j.attempts > u.attempt
                            ELSE j.attempts <> u.attempt OR j.started_at IS DISTINCT FROM u.run_started END)),
            ins AS (INSERT INTO events(job_id, id, type, data, at) SELECT job_id, id, type, data, at FROM ok ON CONFLICT (job_id, id) DO NOTHING)
            SELECT u.job_id, u.id FROM u WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.job_id = u.job_id AND ok.id = u.id)
            """, conn, tx);
        columns.AddTo(cmd.Parameters, withAttempts: true);
        var refused = new List<JobEvent>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var job = reader.GetString(0);
                var id = reader.GetInt64(1);
                for (var i = 0; i < events.Count; i++)
                {
                    if (events[i].Id == id && string.Equals(events[i].JobId, job, StringComparison.Ordinal))
                    {
                        refused.Add(events[i]);
                        break;
                    }
                }
            }
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return refused;
    }

    public ValueTask<long> GetLastEventIdAsync(string jobId, CancellationToken cancellationToken) =>
        Retry(static async (s, jobId, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT COALESCE(max(id), 0) FROM events WHERE job_id = @id", conn);
            cmd.Parameters.AddWithValue("id", jobId);
            return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, jobId, cancellationToken);

    /// <summary>Many events in one statement (arrays unnested server-side); duplicates are ignored.</summary>
    private static async ValueTask InsertEventsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<JobEvent> events, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO events(job_id, id, type, data, at) SELECT * FROM unnest(@j, @i, @t, @d, @a) ON CONFLICT (job_id, id) DO NOTHING", conn, tx);
        PostgresEventArrays.From(events).AddTo(cmd.Parameters, withAttempts: false);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask MarkPublishedAsync(IReadOnlyList<string> jobIds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0)
        {
            return;
        }

        await Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("UPDATE jobs SET published_at = @t WHERE id = ANY(@ids) AND (published_at IS NULL OR published_at < 0)", conn);
            cmd.Parameters.AddWithValue("ids", a.jobIds as string[] ?? [.. a.jobIds]);
            cmd.Parameters.AddWithValue("t", ToMs(a.at));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, (jobIds, at), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<JobRecord>> ClaimUnpublishedAsync(DateTimeOffset createdBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // SKIP LOCKED: gateways sweeping at once claim disjoint jobs; the claim (a negative marker) keeps the
            // others off until it is as old as an unconfirmed job (its gateway died before publishing it).
            await using var cmd = new NpgsqlCommand(
                $"""
                UPDATE jobs SET published_at = -@now
                WHERE id IN (SELECT id FROM jobs
                    WHERE status = 0 AND ((published_at IS NULL AND created_at < @before) OR (published_at < 0 AND -published_at < @before))
                    ORDER BY created_at LIMIT @n FOR UPDATE SKIP LOCKED)
                RETURNING {Columns}
                """, conn);
            cmd.Parameters.AddWithValue("now", ToMs(a.now));
            cmd.Parameters.AddWithValue("before", ToMs(a.createdBefore));
            cmd.Parameters.AddWithValue("n", a.limit);
            return (IReadOnlyList<JobRecord>)await ReadJobsAsync(cmd, ct).ConfigureAwait(false);
        }, (createdBefore, now, limit), cancellationToken);

    public ValueTask<IReadOnlyList<JobDeadline>> ListUnfinishedDeadlinesAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // Served by the partial index on unfinished jobs; no inputs read. Running jobs too: a gateway expires one whose
            // worker died with no other worker to take it, once the deadline is long enough past.
            await using var cmd = new NpgsqlCommand("SELECT id, deadline FROM jobs WHERE status < 2 AND deadline < @before", conn);
            cmd.Parameters.AddWithValue("before", ToMs(a));
            var list = new List<JobDeadline>();
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new JobDeadline(reader.GetString(0), FromMs(reader.GetInt64(1))));
            }

            return (IReadOnlyList<JobDeadline>)list;
        }, dueBefore, cancellationToken);

    // One attempt, never retried nor logged: each gateway polls it every DepthPollInterval and does without it while the
    // store is down (its readiness reports the store), so retries only kept the depths stale and a warning every poll.
    public ValueTask<IReadOnlyDictionary<string, QueueDepth>> CountQueuedAsync(CancellationToken cancellationToken) =>
        Retry(static async (s, _, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // Served by the partial index on queued jobs (jobs_queued); polled by each gateway, never per request.
            await using var cmd = new NpgsqlCommand("SELECT model, priority, count(*) FROM jobs WHERE status = 0 GROUP BY model, priority", conn);
            var counts = new Dictionary<string, QueueDepth>(StringComparer.Ordinal);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var model = reader.GetString(0);
                var n = (int)Math.Min(int.MaxValue, reader.GetInt64(2));
                counts.TryGetValue(model, out var d);
                counts[model] = (JobPriority)reader.GetInt32(1) switch
                {
                    JobPriority.High => d with { High = n },
                    JobPriority.Low => d with { Low = n },
                    _ => d with { Normal = d.Normal + n },
                };
            }

            return (IReadOnlyDictionary<string, QueueDepth>)counts;
        }, 0, cancellationToken, retries: 0);

    public ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken) =>
        Retry(static async (s, _, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM jobs WHERE status < 2 ORDER BY id", conn);
            return (IReadOnlyList<JobRecord>)await ReadJobsAsync(cmd, ct).ConfigureAwait(false);
        }, 0, cancellationToken);

    public ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            var id = a.id;
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            // published_at = -now: claimed for publishing by this gateway now, as the republish sweep claims. A requeued
            // job was created long ago, so "never published" (NULL) would let a sweep republish it before this
            // gateway's own publish is confirmed; the claim instead lapses only if this gateway dies before the
            // confirm, and then the sweep publishes it after RepublishAfter.
            await using var cmd = new NpgsqlCommand(
                """
                UPDATE jobs SET status = 0, attempts = 0, completed_at = NULL, not_before = NULL, deadline = NULL,
                    result = NULL, started_at = NULL, published_at = -@now
                WHERE id = @id AND status = 6
                """, conn, tx);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("now", ToMs(a.now));
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return null;
            }

            // The requeued job starts a new event stream at id 1.
            await using (var del = new NpgsqlCommand("DELETE FROM events WHERE job_id = @id", conn, tx))
            {
                del.Parameters.AddWithValue("id", id);
                await del.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var job = await ReadJobAsync(conn, tx, id, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return job;
        }, (id, now), cancellationToken);

    public ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) =>
        Retry(static async (s, a, attempt, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(
                """
                UPDATE jobs SET status = 6, attempts = @a, completed_at = @c, started_at = @s, deadline = @d, not_before = NULL
                WHERE id = @id AND status = 0
                """, conn, tx);
            cmd.Parameters.AddWithValue("a", a.deadLetter.Attempts);
            cmd.Parameters.AddWithValue("c", NpgsqlDbType.Bigint, ToMs(a.deadLetter.CompletedAt));
            cmd.Parameters.AddWithValue("s", NpgsqlDbType.Bigint, ToMs(a.deadLetter.StartedAt));
            cmd.Parameters.AddWithValue("d", NpgsqlDbType.Bigint, ToMs(a.deadLetter.Deadline));
            cmd.Parameters.AddWithValue("id", a.deadLetter.Id);
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                // On a retry, the first try may have committed and lost its answer.
                return attempt > 0 && await ReadJobAsync(conn, null, a.deadLetter.Id, ct).ConfigureAwait(false) is { Status: JobStatus.DeadLettered };
            }

            // The requeued stream (its queued event) goes; the dead letter's own stream comes back for replay.
            await using (var del = new NpgsqlCommand("DELETE FROM events WHERE job_id = @id", conn, tx))
            {
                del.Parameters.AddWithValue("id", a.deadLetter.Id);
                await del.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (a.events.Count > 0)
            {
                await InsertEventsAsync(conn, tx, a.events, ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, (deadLetter, events), cancellationToken);

    public ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken) =>
        Retry(static async (s, key, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT result FROM result_cache WHERE key = @k", conn);
            cmd.Parameters.AddWithValue("k", key);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        }, cacheKey, cancellationToken);

    public async ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        await Retry(static async (s, olderThan, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(
                "DELETE FROM idempotency WHERE created_at < @t; DELETE FROM result_cache WHERE created_at < @t; DELETE FROM key_usage WHERE minute < to_timestamp(@t / 1000.0)", conn);
            cmd.Parameters.AddWithValue("t", ToMs(olderThan));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, olderThan, cancellationToken).ConfigureAwait(false);

    public ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // One statement, one transaction per batch. SKIP LOCKED: gateways purging at once each take rows the
            // others have not locked, so none waits for another or deadlocks, and a row a writer holds (an event
            // insert share-locks its job) is left for the next hour. The status range is the jobs_finished index's
            // own condition, so queued, running and dead-lettered jobs are never read, whatever their age.
            await using var cmd = new NpgsqlCommand(
                """
                WITH gone AS (
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE status BETWEEN 2 AND 5 AND completed_at < @t ORDER BY completed_at LIMIT @n FOR UPDATE SKIP LOCKED)
                    RETURNING id),
                ev AS (DELETE FROM events WHERE job_id IN (SELECT id FROM gone))
                SELECT count(*) FROM gone
                """, conn);
            cmd.Parameters.AddWithValue("t", ToMs(a.now - s._options.JobRetention));
            cmd.Parameters.AddWithValue("n", a.limit);
            return (int)(long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, (now, limit), cancellationToken);

    public ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) =>
        Retry(static async (s, a, _, ct) =>
        {
            await using var conn = await s._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // Two statements, each its own snapshot: a gateway whose insert lost the race to a concurrent one waits
            // for that commit and then reads the row it made.
            await using (var insert = new NpgsqlCommand("INSERT INTO secrets(name, value, created_at) VALUES (@n, @v, @at) ON CONFLICT (name) DO NOTHING", conn))
            {
                insert.Parameters.AddWithValue("n", a.name);
                insert.Parameters.AddWithValue("v", a.candidate);
                insert.Parameters.AddWithValue("at", ToMs(DateTimeOffset.UtcNow));
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await using var select = new NpgsqlCommand("SELECT value FROM secrets WHERE name = @n", conn);
            select.Parameters.AddWithValue("n", a.name);
            return (byte[])(await select.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, (name, candidate), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The container disposes the one store once per service it is registered as (IJobStore, IJobEventStore …).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await FinishedIndexBuild.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _disposing.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs an operation, trying again after a transient failure (broken connection, server restarting) with a short
    /// backoff, <paramref name="retries"/> times (the configured TransientRetries unless given); after the last try it
    /// is the store being unavailable. The attempt number lets non-idempotent writes recognise their own earlier commit.
    /// Refused before the first try while the write check goes unanswered (<see cref="ThrowIfNotAnswering"/>).
    /// </summary>
    private async ValueTask<T> Retry<TState, T>(Func<PostgresJobStore, TState, int, CancellationToken, ValueTask<T>> op, TState state, CancellationToken ct, int? retries = null, bool failFast = true)
    {
        if (failFast)
        {
            ThrowIfNotAnswering();
        }

        var tries = retries ?? _options.TransientRetries;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await op(this, state, attempt, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException ex) when (ex.IsTransient && attempt < tries && !ct.IsCancellationRequested)
            {
                Log.TransientError(_logger, attempt + 1, ex.Message);
                await Task.Delay(50 * (1 << attempt), ct).ConfigureAwait(false);
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !ct.IsCancellationRequested)
            {
                // Out of retries on a connection-level failure: the store is down, not the request wrong (503, not 500).
                throw new StoreUnavailableException("the job store is unavailable: " + ex.Message, ex);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction && !ct.IsCancellationRequested)
            {
                // A read-only database (default_transaction_read_only, a standby after a failover) takes no writes now: an
                // outage too (503), where only the submit path caught it and a cancel or a requeue answered 500. Not
                // retried: a failover takes longer than that. (Out of disk, memory or connections, class 53, is transient.)
                throw new StoreUnavailableException($"the job store cannot write now: {ex.SqlState}: {ex.MessageText}", ex);
            }
        }
    }

    private static async ValueTask<JobRecord?> ReadJobAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM jobs WHERE id = @id", conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        var list = await ReadJobsAsync(cmd, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    private static async ValueTask<List<JobRecord>> ReadJobsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<JobRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(JobRecordReader.Read(r));
        }

        return list;
    }

    private static async ValueTask Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    internal static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    internal static object ToMs(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    internal static object Db(string? s) => s is null ? DBNull.Value : s;

    /// <summary>Free text (an error message): <c>text</c> refuses a NUL (<see cref="StoredText"/>).</summary>
    internal static object DbText(string? s) => Db(StoredText.WithoutNul(s));

    /// <summary>A wait as whole milliseconds (rounded up, so a wait is never stored shorter), or null.</summary>
    internal static object Db(TimeSpan? v) => v is { } x ? (long)Math.Ceiling(x.TotalMilliseconds) : DBNull.Value;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "PostgreSQL at {Server} not reachable yet ({Error}); waiting")]
        public static partial void WaitingForServer(ILogger logger, string server, string error);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "PostgreSQL schema migrated from version {From} to {To}")]
        public static partial void Migrated(ILogger logger, int from, int to);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Transient PostgreSQL error (try {Attempt}): {Error}")]
        public static partial void TransientError(ILogger logger, int attempt, string error);

        [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Building the PostgreSQL index jobs_finished concurrently (writes go on meanwhile)")]
        public static partial void BuildingIndex(ILogger logger);

        [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "Built the PostgreSQL index jobs_finished in {Milliseconds} ms")]
        public static partial void BuiltIndex(ILogger logger, long milliseconds);

        [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "The PostgreSQL index jobs_finished is invalid (an interrupted build); dropping it to build it again")]
        public static partial void DroppingInvalidIndex(ILogger logger);

        [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Could not build the PostgreSQL index jobs_finished ({Error}); the purge reads the table meanwhile, and the next start tries again")]
        public static partial void IndexBuildFailed(ILogger logger, string error);
    }
}
