using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.Testing;

namespace Sluice.Sqlite.Tests;

/// <summary>
/// The SQLite store on a throwaway data folder: the shared <see cref="JobStoreContractTests"/>, reopened from the
/// same file for the restart case, plus the group commit that only this single-writer store has.
/// </summary>
public sealed class SqliteJobStoreTests : JobStoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-" + Guid.NewGuid().ToString("N"));

    /// <summary>A new store over the same file each time, so a reopen reads what the previous one committed.</summary>
    protected override async Task<IJobStore> OpenStoreAsync()
    {
        var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A file as the build before schema version 2 left it: the version 1 tables, user_version 1, one queued job.</summary>
    protected override async Task WritePreviousSchemaAsync(JobRecord job)
    {
        Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = SqliteSchema.V1 + """
            INSERT INTO jobs (id, model, model_version, input, priority, owner, status, created_at, deadline, attempts,
                max_attempts, traceparent, cache_key)
            VALUES ($id, $model, NULL, $input, $prio, $owner, 0, $created, NULL, 0, $max, $tp, $ck);
            PRAGMA user_version=1;
            """;
        cmd.Parameters.AddWithValue("$id", job.Id);
        cmd.Parameters.AddWithValue("$model", job.Model);
        cmd.Parameters.AddWithValue("$input", job.InputJson);
        cmd.Parameters.AddWithValue("$prio", (int)job.Priority);
        cmd.Parameters.AddWithValue("$owner", job.Owner);
        cmd.Parameters.AddWithValue("$created", job.CreatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$max", job.MaxAttempts);
        cmd.Parameters.AddWithValue("$tp", job.TraceParent);
        cmd.Parameters.AddWithValue("$ck", job.CacheKey);
        await cmd.ExecuteNonQueryAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task InitializeAsync_Version2FileWithAFailedJob_MigratedAndTheJobReadsWithNoCode()
    {
        // A file of the build before failure codes (user_version 2), holding a job that failed then.
        var old = NewJob();
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        await ReopenStoreAsync(async () =>
        {
            Directory.Delete(_dir, recursive: true);
            Directory.CreateDirectory(_dir);
            await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = SqliteSchema.V1 + SqliteSchema.V2 + """
                INSERT INTO jobs (id, model, input, priority, owner, status, created_at, attempts, max_attempts, completed_at, error, fallback_allowed)
                VALUES ($id, 'm', '{}', 1, $owner, 6, $created, 3, 3, $created, 'backend ''b'': upstream answered 503 Service Unavailable (Retry-After 7 s)', 1);
                PRAGMA user_version=2;
                """;
            cmd.Parameters.AddWithValue("$id", old.Id);
            cmd.Parameters.AddWithValue("$owner", old.Owner);
            cmd.Parameters.AddWithValue("$created", old.CreatedAt.ToUnixTimeMilliseconds());
            await cmd.ExecuteNonQueryAsync();
        });

        // Still read, with its error; why it failed was never recorded, so its code and wait are unknown (null).
        var kept = await Store.GetAsync(old.Id, CancellationToken.None);
        Assert.Equal(JobStatus.DeadLettered, kept!.Status);
        Assert.Equal("backend 'b': upstream answered 503 Service Unavailable (Retry-After 7 s)", kept.Error);
        Assert.True(kept.FallbackAllowed);
        Assert.Null(kept.ErrorCode);
        Assert.Null(kept.RetryAfter);
        Assert.Equal([old.Id], (await Store.ListAsync(new JobQuery { Owner = old.Owner }, CancellationToken.None)).Select(j => j.Id));

        // The upgraded file takes the new columns, and says it is at the current version.
        var failed = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.CompleteAsync(new JobCompletion { JobId = failed.Id, Status = JobStatus.Failed, Error = "refused", ErrorCode = JobErrorCodes.UpstreamRefused, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        object? version = null;
        await ReopenStoreAsync(async () =>
        {
            await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA user_version;";
            version = await cmd.ExecuteScalarAsync();
        });

        Assert.Equal((long)SqliteSchema.Version, version);
        Assert.Equal(JobErrorCodes.UpstreamRefused, (await Store.GetAsync(failed.Id, CancellationToken.None))!.ErrorCode);
        Assert.Null((await Store.GetAsync(old.Id, CancellationToken.None))!.ErrorCode);
    }

    [Fact]
    public async Task CreateAsync_ManyConcurrentWrites_GroupedIntoFewerCommits()
    {
        var store = (SqliteJobStore)Store;
        var before = store.CommitCount;
        var tasks = Enumerable.Range(0, 500).Select(_ => store.CreateAsync(NewJob(), CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        var commits = store.CommitCount - before;
        Assert.All(tasks, t => Assert.True(t.Result.Created));
        Assert.True(commits < 500, $"{commits} commits for 500 writes: no grouping");
        Assert.Equal(500, (await store.ListAsync(new JobQuery { Limit = 1000 }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task CreateAsync_DiskFullThenSpaceReturns_FailsWhileFullThenWritesAgain()
    {
        // SQLite rolls the whole transaction back by itself on SQLITE_FULL: the writer's rollback to the write's
        // savepoint then failed, and every write of the group failed with "This SqliteTransaction has completed"
        // instead of the full disk. (A full disk at COMMIT wedged the writer for good: DiskFullTests.)
        var store = (SqliteJobStore)Store;
        var kept = (await store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await store.Enqueue(new MaxPageCountOp(full: true));
        var big = "\"" + new string('x', 64 * 1024) + "\"";
        var full = Enumerable.Range(0, 8).Select(_ => store.CreateAsync(NewJob() with { InputJson = big }, CancellationToken.None).AsTask()).ToArray();
        foreach (var t in full)
        {
            // SQLITE_FULL, for each write of the group, rather than what the failed rollback said.
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => t);
            Assert.Equal(13, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        }

        // Space returns: the same store, no restart, writes again; nothing of the failed writes was kept.
        await store.Enqueue(new MaxPageCountOp(full: false));
        var after = NewJob() with { InputJson = big };
        Assert.True((await store.CreateAsync(after, CancellationToken.None)).Created);
        Assert.True(await store.MarkRunningAsync(kept.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal([kept.Id, after.Id], (await store.ListAsync(new JobQuery { Limit = 100 }, CancellationToken.None)).Select(j => j.Id).Order());
    }

    [Fact]
    public async Task CheckWritableAsync_SubmitsRefusedForWantOfRoomWhileTheProbeFits_FailsUntilASubmitWritesOrTheHoldLapses()
    {
        // On a nearly full disk the check's one-page probe fits where a submit's insert does not: the check turned ready
        // again two seconds after every refused submit, so readiness flapped while submits kept failing.
        var time = new ManualTimeProvider();
        var dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-" + Guid.NewGuid().ToString("N"));
        var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance, time);
        try
        {
            await store.InitializeAsync(CancellationToken.None);
            var kept = (await store.CreateAsync(NewJob(), CancellationToken.None)).Job;
            await store.Enqueue(new MaxPageCountOp(full: true));
            var big = "\"" + new string('x', 64 * 1024) + "\"";
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateAsync(NewJob() with { InputJson = big }, CancellationToken.None).AsTask());

            // The probe alone would pass (it rewrites a page the file has): still failing, with SQLite's reason, 20 s on.
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(CancellationToken.None).AsTask());
            Assert.Contains("database or disk is full", error.Message, StringComparison.Ordinal);
            time.Advance(TimeSpan.FromSeconds(20));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(CancellationToken.None).AsTask());

            // A small update fits too, but is no submit: still failing. A submit that fits clears it.
            Assert.True(await store.MarkRunningAsync(kept.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(CancellationToken.None).AsTask());
            await store.Enqueue(new MaxPageCountOp(full: false));
            Assert.True((await store.CreateAsync(NewJob(), CancellationToken.None)).Created);
            await store.CheckWritableAsync(CancellationToken.None);

            // Refused again, and no submit since (out of rotation, none comes): the hold lapses after 30 s and the probe decides.
            await store.Enqueue(new MaxPageCountOp(full: true));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateAsync(NewJob() with { InputJson = big }, CancellationToken.None).AsTask());
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(CancellationToken.None).AsTask());
            time.Advance(NoRoomHold.HoldFor);
            await store.CheckWritableAsync(CancellationToken.None);
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task CreateAsync_AnotherConnectionHoldsTheWriteLock_FailsBusyAfterTheBusyTimeoutThenWritesOnceReleased()
    {
        // The store sets a 5 s busy timeout, but Microsoft.Data.Sqlite retried a busy statement for its own 30 s
        // command timeout on top: a submit waited 30 to 35 s for its 503 while a sqlite3 shell held the file.
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE;";
            await begin.ExecuteNonQueryAsync();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.CreateAsync(NewJob(), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(90)));
        Assert.Equal(5, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode); // SQLITE_BUSY
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the write waited {clock.Elapsed} for the lock");

        // The lock is let go: the same store writes again.
        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        Assert.True((await Store.CreateAsync(NewJob(), CancellationToken.None)).Created);
    }

    [Fact]
    public async Task CheckWritableAsync_WritesWentThroughSinceTheLastCheck_AnsweredWithoutAWriteAndProbesOnlyWhenIdle()
    {
        // Readiness is asked every few seconds by each load balancer and probe: under load it must cost the writer nothing.
        var store = (SqliteJobStore)Store;
        await store.CheckWritableAsync(CancellationToken.None);
        var before = store.CommitCount;
        await store.CreateAsync(NewJob(), CancellationToken.None);

        await store.CheckWritableAsync(CancellationToken.None);
        Assert.Equal(before + 1, store.CommitCount);

        // Nothing written since: one small write of its own.
        await store.CheckWritableAsync(CancellationToken.None);
        Assert.Equal(before + 2, store.CommitCount);
    }

    [Fact]
    public async Task CheckWritableAsync_AnotherConnectionHoldsTheWriteLock_FailsBusyThenPassesOnceReleased()
    {
        var store = (SqliteJobStore)Store;
        await store.CheckWritableAsync(CancellationToken.None);
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE;";
            await begin.ExecuteNonQueryAsync();
        }

        // A check that gives up (readiness waits 0.8 s) leaves its probe to the writer; the next check shares it.
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.CheckWritableAsync(soon.Token).AsTask());
        }

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(5, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode); // SQLITE_BUSY

        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        await store.CheckWritableAsync(CancellationToken.None);
    }

    [Fact]
    public async Task InitializeAsync_DataDirInUseByAnotherStore_RefusesNamingTheFolder()
    {
        // Two servers on one data folder both recovered the same unfinished jobs and ran them twice (a second
        // attempt, a second run's events) while each queued only its own submissions.
        var second = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
        await using (second)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None).AsTask());
            Assert.Contains(Path.GetFullPath(_dir), error.Message, StringComparison.Ordinal);
            Assert.Contains("in use", error.Message, StringComparison.Ordinal);
        }

        // The first store is untouched and still writes.
        Assert.True((await Store.CreateAsync(NewJob(), CancellationToken.None)).Created);
    }

    [Fact]
    public async Task InitializeAsync_FileIsNotADatabase_ErrorNamesTheFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "sluice.db"), "this is not a database, it is a text file of some length");
            var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance);
            await using (store)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => store.InitializeAsync(CancellationToken.None).AsTask());
                Assert.Contains(Path.GetFullPath(Path.Combine(dir, "sluice.db")), error.Message, StringComparison.Ordinal);
                // What to do about it, not only SQLite's "file is not a database"; and the file is left as it was.
                Assert.Contains("move it away", error.Message, StringComparison.Ordinal);
                Assert.Contains("--data-dir", error.Message, StringComparison.Ordinal);
                Assert.Equal("this is not a database, it is a text file of some length", await File.ReadAllTextAsync(Path.Combine(dir, "sluice.db")));
            }

            // A failed open lets go of the folder: fixing the file and starting again works in the same process.
            File.Delete(Path.Combine(dir, "sluice.db"));
            var fixedStore = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance);
            await using (fixedStore)
            {
                await fixedStore.InitializeAsync(CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InitializeAsync_FileOfANewerSchemaVersion_RefusesNamingTheFileAndLeavesItUntouched()
    {
        // A file a newer build had migrated (user_version above the one this build knows) was opened as if current:
        // switched to WAL and written with the rows this build knows, beside columns and meanings it does not.
        await ((SqliteJobStore)Store).DisposeAsync();
        Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        var path = new SqliteStoreOptions { DataDir = _dir }.DatabasePath;
        var newer = SqliteSchema.Version + 1;
        await using (var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = SqliteSchema.V1 + SqliteSchema.V2 + SqliteSchema.V3 + SqliteSchema.V4 + SqliteSchema.V5 + $"""
                ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT 't';
                PRAGMA user_version={newer};
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        var before = await File.ReadAllBytesAsync(path);
        var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
        await using (store)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None).AsTask());
            Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);
            Assert.Contains($"schema version {newer}", error.Message, StringComparison.Ordinal);
            Assert.Contains($"knows {SqliteSchema.Version}", error.Message, StringComparison.Ordinal);
            Assert.Contains("--data-dir", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + "-wal"), "the file was switched to write-ahead logging");

        // A fresh folder for the base class's own cleanup.
        Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        await ReopenStoreAsync();
    }

    [Fact]
    public async Task InitializeAsync_DatabasePathIsAFolder_ErrorSaysSoAndWhatToDo()
    {
        // SQLite said only "unable to open database file" for a folder named sluice.db.
        var dir = Path.Combine(Path.GetTempPath(), "sluice-sqlite-folder-" + Guid.NewGuid().ToString("N"));
        var db = Path.Combine(dir, "sluice.db");
        Directory.CreateDirectory(db);
        try
        {
            var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = dir }), NullLogger<SqliteJobStore>.Instance);
            await using (store)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None).AsTask());
                Assert.Equal($"the job store {db} is a folder, not a file; move it away or give this server another --data-dir", error.Message);
            }

            Assert.True(Directory.Exists(db));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task GetListAndLoadUnfinished_JobsTableColumnsInAnotherOrder_ReadEveryFieldByName()
    {
        // Rows were read with SELECT * and mapped by position: right only while migrations append columns.
        await ((SqliteJobStore)Store).DisposeAsync();
        Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        await using (var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = new SqliteStoreOptions { DataDir = _dir }.DatabasePath, Pooling = false }.ToString()))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            // The current schema with the jobs columns reversed; V1 then adds only what is missing.
            cmd.CommandText = $"""
                CREATE TABLE jobs (
                    retry_after_ms INTEGER, error_code TEXT, fallback_allowed INTEGER NOT NULL DEFAULT 0, cache_key TEXT, request_hash TEXT, idempotency_key TEXT,
                    traceparent TEXT, run_ms REAL, queued_ms REAL, batch_size INTEGER, error TEXT, result TEXT,
                    not_before INTEGER, completed_at INTEGER, started_at INTEGER, max_attempts INTEGER NOT NULL,
                    attempts INTEGER NOT NULL, deadline INTEGER, created_at INTEGER NOT NULL, status INTEGER NOT NULL,
                    owner TEXT NOT NULL, priority INTEGER NOT NULL, input TEXT NOT NULL, model_version TEXT,
                    model TEXT NOT NULL, id TEXT PRIMARY KEY);
                {SqliteSchema.V1}
                PRAGMA user_version={SqliteSchema.Version};
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        await ReopenStoreAsync();
        var job = NewJob("k") with { Deadline = DateTimeOffset.UtcNow.AddMinutes(1), Priority = JobPriority.High, MaxAttempts = 5, CacheKey = "ck", FallbackAllowed = true,
            ErrorCode = JobErrorCodes.CircuitOpen, RetryAfter = TimeSpan.FromSeconds(3) };
        Assert.True((await Store.CreateAsync(job, CancellationToken.None)).Created);
        var expected = job with { Deadline = DateTimeOffset.FromUnixTimeMilliseconds(job.Deadline!.Value.ToUnixTimeMilliseconds()), CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt.ToUnixTimeMilliseconds()) };

        Assert.Equal(expected, await Store.GetAsync(job.Id, CancellationToken.None));
        Assert.Equal([expected], await Store.ListAsync(new JobQuery { Limit = 10 }, CancellationToken.None));
        Assert.Equal([expected], await Store.LoadUnfinishedAsync(CancellationToken.None));
    }

    [ReadOnlyFileFact]
    public async Task InitializeAsync_DatabaseFileReadOnly_RefusesInsteadOfStartingUnableToWrite()
    {
        // SQLite opens a file it may not write read-only, silently: the server started, reported ready and answered
        // every submit with 503 "store unavailable" and Retry-After, forever.
        await Store.CreateAsync(NewJob(), CancellationToken.None);
        await ((SqliteJobStore)Store).DisposeAsync();
        var file = Path.Combine(_dir, "sluice.db");
        try
        {
            MakeReadOnly(file, true);
            var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = _dir }), NullLogger<SqliteJobStore>.Instance);
            await using (store)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None).AsTask());
                Assert.Contains(Path.GetFullPath(file), error.Message, StringComparison.Ordinal);
                Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            // Whatever +i answered, and before the store reopens: an immutable file could be neither written nor deleted.
            MakeReadOnly(file, false);
            await ReopenStoreAsync();
        }
    }

    /// <summary>Permissions do not stop root (as ./sluice test runs): the immutable attribute does.</summary>
    private static void MakeReadOnly(string file, bool readOnly)
    {
        if (!OperatingSystem.IsWindows() && !ReadOnlyFileFactAttribute.NeedsImmutable)
        {
            File.SetUnixFileMode(file, readOnly ? UnixFileMode.UserRead : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return;
        }

        var flag = readOnly ? "+i" : "-i";
        var (exitCode, error) = ReadOnlyFileFactAttribute.Chattr(flag, file);
        Assert.True(exitCode == 0, $"chattr {flag} {file} failed: {error}");
    }

    [Fact]
    public async Task InitializeAsync_DataDirIsAFile_ErrorSaysSo()
    {
        var file = Path.Combine(Path.GetTempPath(), "sluice-sqlite-file-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "x");
        try
        {
            var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { DataDir = file }), NullLogger<SqliteJobStore>.Instance);
            await using (store)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None).AsTask());
                Assert.Equal($"the data directory {file} is a file, not a folder", error.Message);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
