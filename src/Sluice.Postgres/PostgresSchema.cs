namespace Sluice.Postgres;

/// <summary>
/// The schema, migrated at start under an advisory lock (several gateways and workers may start together);
/// <c>sluice_schema.version</c> records the applied migration. Times are Unix milliseconds, as in the SQLite store.
/// </summary>
internal static class PostgresSchema
{
    public const int Version = 7;

    /// <summary>Key of the advisory lock that serialises migrations.</summary>
    public const long MigrationLock = 0x51_7C_E0_01;

    public const string Bootstrap = "CREATE TABLE IF NOT EXISTS sluice_schema (version integer NOT NULL);";

    /// <summary>
    /// Version 1: the tables and their indexes, then <see cref="TakeTokens"/>. Run only on a database below version 1:
    /// on a live one its <c>CREATE INDEX IF NOT EXISTS</c> still takes a share lock on <c>jobs</c> before it finds the
    /// index there, so at every upgrade it waited for each write in flight and held every later insert, update and delete
    /// of every process behind it until the migration committed.
    /// </summary>
    public const string V1 = V1Tables + "\n" + TakeTokens;

    private const string V1Tables = """
        CREATE TABLE IF NOT EXISTS jobs (
            id text PRIMARY KEY,
            model text NOT NULL,
            model_version text,
            input text NOT NULL,
            priority integer NOT NULL,
            owner text NOT NULL,
            status integer NOT NULL,
            created_at bigint NOT NULL,
            deadline bigint,
            attempts integer NOT NULL,
            max_attempts integer NOT NULL,
            started_at bigint,
            completed_at bigint,
            not_before bigint,
            result text,
            error text,
            batch_size integer,
            queued_ms double precision,
            run_ms double precision,
            traceparent text,
            idempotency_key text,
            request_hash text,
            cache_key text
        );
        CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, id);
        CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs(status) WHERE status < 2;
        CREATE INDEX IF NOT EXISTS jobs_dead ON jobs(owner, id) WHERE status = 6;
        CREATE TABLE IF NOT EXISTS idempotency (
            owner text NOT NULL,
            key text NOT NULL,
            job_id text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (owner, key)
        );
        CREATE TABLE IF NOT EXISTS events (
            job_id text NOT NULL,
            id bigint NOT NULL,
            type text NOT NULL,
            data text NOT NULL,
            at bigint NOT NULL,
            PRIMARY KEY (job_id, id)
        );
        CREATE TABLE IF NOT EXISTS result_cache (
            key text PRIMARY KEY,
            result text NOT NULL,
            created_at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS rate_buckets (
            key text PRIMARY KEY,
            tokens double precision NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS key_usage (
            key text NOT NULL,
            minute timestamptz NOT NULL,
            requests bigint NOT NULL,
            rejected bigint NOT NULL,
            PRIMARY KEY (key, minute)
        );
        """;

    /// <summary>
    /// The token-bucket function, replaced at every migration (it locks no table): its body has changed without a
    /// version of its own, and a database upgraded in place must get the current one.
    /// </summary>
    public const string TakeTokens = """
        -- One atomic token-bucket step: refill from the server clock (one clock for every gateway), take cost
        -- tokens when there are enough, and count the request per key and minute. One round trip, row-locked.
        CREATE OR REPLACE FUNCTION sluice_take_tokens(p_key text, p_rate double precision, p_burst double precision, p_cost double precision,
            OUT allowed boolean, OUT remaining double precision)
        LANGUAGE plpgsql AS $$
        DECLARE
            t double precision;
            last timestamptz;
            now_ts timestamptz;
        BEGIN
            INSERT INTO rate_buckets(key, tokens, updated_at) VALUES (p_key, p_burst, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
            SELECT b.tokens, b.updated_at INTO t, last FROM rate_buckets b WHERE b.key = p_key FOR UPDATE;
            -- Read the clock only once the row is ours: a waiter must not refill for time it spent queued behind others.
            now_ts := GREATEST(clock_timestamp(), last);
            t := LEAST(p_burst, t + EXTRACT(EPOCH FROM (now_ts - last)) * p_rate);
            allowed := t + 1e-6 >= p_cost;
            remaining := CASE WHEN allowed THEN GREATEST(0, t - p_cost) ELSE t END;
            UPDATE rate_buckets SET tokens = remaining, updated_at = now_ts WHERE key = p_key;
            INSERT INTO key_usage(key, minute, requests, rejected)
              VALUES (p_key, date_trunc('minute', now_ts), 1, CASE WHEN allowed THEN 0 ELSE 1 END)
              ON CONFLICT (key, minute) DO UPDATE SET requests = key_usage.requests + 1,
                rejected = key_usage.rejected + EXCLUDED.rejected;
        END $$;
        """;

    /// <summary>
    /// The publish marker: set once the broker confirmed the job (negative while a gateway holds a claim to
    /// republish it). Jobs that exist before this migration were published or failed: they are marked.
    /// </summary>
    public const string V2 = """
        ALTER TABLE jobs ADD COLUMN IF NOT EXISTS published_at bigint;
        UPDATE jobs SET published_at = created_at WHERE published_at IS NULL;
        CREATE INDEX IF NOT EXISTS jobs_unpublished ON jobs(created_at) WHERE status = 0 AND (published_at IS NULL OR published_at < 0);
        """;

    /// <summary>
    /// The permission to move to a fallback (<c>JobRecord.FallbackAllowed</c>), journaled so a recovered or
    /// republished job keeps it. Jobs that exist before this migration were not given it (false): the build that
    /// wrote them did not journal it.
    /// </summary>
    public const string V3 = "ALTER TABLE jobs ADD COLUMN IF NOT EXISTS fallback_allowed boolean NOT NULL DEFAULT false;";

    /// <summary>
    /// Why a job failed as a stable code (<c>JobRecord.ErrorCode</c>) and the wait the failure asked for, in
    /// milliseconds (<c>JobRecord.RetryAfter</c>). Jobs that exist before this migration keep null: their reason is unknown.
    /// </summary>
    public const string V4 = "ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_code text; ALTER TABLE jobs ADD COLUMN IF NOT EXISTS retry_after_ms bigint;";

    /// <summary>
    /// Secrets generated once and shared by every gateway (the stream token secret when none is configured): the
    /// first gateway to start inserts it, the others read it.
    /// </summary>
    public const string V5 = "CREATE TABLE IF NOT EXISTS secrets (name text PRIMARY KEY, value bytea NOT NULL, created_at bigint NOT NULL);";

    /// <summary>
    /// The jobs still queued, by model and lane, for the gateways' depth poll (<c>IJobQueuedCountStore</c>): read from
    /// this index alone, however many finished jobs the table keeps.
    /// </summary>
    public const string V6 = "CREATE INDEX IF NOT EXISTS jobs_queued ON jobs(model, priority) WHERE status = 0;";

    /// <summary>Key of the session advisory lock held by the one process building <see cref="FinishedIndex"/>.</summary>
    public const long FinishedIndexLock = 0x51_7C_E0_02;

    /// <summary>
    /// Version 7: the finished jobs (succeeded, failed, cancelled, expired) by the time they finished, for the retention
    /// purge (<c>PurgeFinishedJobsAsync</c>), which reads the jobs past their retention from it, not the whole table.
    /// Built concurrently once the migration has committed, by one process: on a live upgrade the table may hold millions
    /// of finished jobs, and a build inside the migration's transaction held a share lock (no insert, update or delete)
    /// until it ended. A concurrent build cannot run in a transaction.
    /// </summary>
    public const string FinishedIndex = "CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_finished ON jobs(completed_at) WHERE status BETWEEN 2 AND 5";

    /// <summary>
    /// Whether <see cref="FinishedIndex"/> is there and usable: null when absent, false when a concurrent build was
    /// interrupted (a crash, a cancel, a failure) and left it INVALID, never used yet maintained on every write.
    /// </summary>
    public const string FinishedIndexValid = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('jobs_finished')";

    /// <summary>An invalid <see cref="FinishedIndex"/> goes before it is built again ("IF NOT EXISTS" would keep it).</summary>
    public const string DropFinishedIndex = "DROP INDEX CONCURRENTLY IF EXISTS jobs_finished";
}
