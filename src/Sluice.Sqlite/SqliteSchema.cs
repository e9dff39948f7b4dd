namespace Sluice.Sqlite;

/// <summary>The schema, applied at start; <c>user_version</c> records the applied migration.</summary>
internal static class SqliteSchema
{
    public const int Version = 5;

    public const string V1 = """
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            model_version TEXT,
            input TEXT NOT NULL,
            priority INTEGER NOT NULL,
            owner TEXT NOT NULL,
            status INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            deadline INTEGER,
            attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            started_at INTEGER,
            completed_at INTEGER,
            not_before INTEGER,
            result TEXT,
            error TEXT,
            batch_size INTEGER,
            queued_ms REAL,
            run_ms REAL,
            traceparent TEXT,
            idempotency_key TEXT,
            request_hash TEXT,
            cache_key TEXT
        );
        CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, id);
        CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs(status) WHERE status < 2;
        CREATE INDEX IF NOT EXISTS jobs_dead ON jobs(status, id) WHERE status = 6;
        CREATE TABLE IF NOT EXISTS idempotency (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            job_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (owner, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS events (
            job_id TEXT NOT NULL,
            id INTEGER NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (job_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS result_cache (
            key TEXT PRIMARY KEY,
            result TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// The permission to move to a fallback (<c>JobRecord.FallbackAllowed</c>), journaled so a recovered job keeps
    /// it. Jobs of a file written before it were not given it (0), as that build did not journal it.
    /// </summary>
    public const string V2 = "ALTER TABLE jobs ADD COLUMN fallback_allowed INTEGER NOT NULL DEFAULT 0;";

    /// <summary>
    /// Why a job failed as a stable code (<c>JobRecord.ErrorCode</c>) and the wait the failure asked for, in
    /// milliseconds (<c>JobRecord.RetryAfter</c>). Jobs of a file written before it keep null: their reason is unknown.
    /// </summary>
    public const string V3 = "ALTER TABLE jobs ADD COLUMN error_code TEXT; ALTER TABLE jobs ADD COLUMN retry_after_ms INTEGER;";

    /// <summary>
    /// Secrets generated once and kept with the jobs (the stream token secret when none is configured), so a
    /// restarted server keeps verifying what the previous process signed.
    /// </summary>
    public const string V4 = "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;";

    /// <summary>
    /// The finished jobs (succeeded, failed, cancelled, expired) by the time they finished, for the retention purge
    /// (<c>PurgeJobsOp</c>): it reads the jobs past their retention from this index, not the whole table.
    /// </summary>
    public const string V5 = "CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(completed_at) WHERE status BETWEEN 2 AND 5;";
}
