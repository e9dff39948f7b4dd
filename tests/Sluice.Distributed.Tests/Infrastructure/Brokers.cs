using System.Diagnostics;
using Npgsql;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// Real RabbitMQ and PostgreSQL servers for a test run, started once by the repository's own scripts
/// (scripts/rabbitmq-local.sh, scripts/postgres-local.sh) on loopback with free ports and throwaway data dirs.
/// Tests isolate themselves with a queue prefix and a database of their own; the fault tests stop and start
/// the servers through the same scripts (same ports, same data).
/// </summary>
public class Brokers : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-brokers-" + Guid.NewGuid().ToString("N")[..8]);
    private int _databases;

    public Brokers()
        : this(rabbitMq: true, postgres: true)
    {
    }

    protected Brokers(bool rabbitMq, bool postgres)
    {
        WithRabbitMq = rabbitMq;
        WithPostgres = postgres;
    }

    public bool WithRabbitMq { get; }

    public bool WithPostgres { get; }

    /// <summary><c>rabbitmq://guest:guest@127.0.0.1:PORT/</c>.</summary>
    public string QueueUrl { get; private set; } = "";

    /// <summary><c>postgres://sluice:sluice@127.0.0.1:PORT/sluice</c> (the default database).</summary>
    public string StoreUrl { get; private set; } = "";

    public int PostgresPort { get; private set; }

    public string RabbitDir => Path.Combine(_root, "rabbitmq");

    public string PostgresDir => Path.Combine(_root, "postgres");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "scripts", "rabbitmq-local.sh")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var rabbit = WithRabbitMq ? Script("rabbitmq-local.sh", "start", RabbitDir) : Task.FromResult("");
        var pg = WithPostgres ? Script("postgres-local.sh", "start", PostgresDir) : Task.FromResult("");
        QueueUrl = Value(await rabbit, "SLUICE_QUEUE_URL");
        StoreUrl = Value(await pg, "SLUICE_STORE_URL");
        if (WithPostgres)
        {
            PostgresPort = new Uri(StoreUrl).Port;
        }
    }

    /// <summary>A fresh, empty database for one test (owned by the sluice role), as a store URL.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=postgres;Pooling=false"))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name} OWNER sluice", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        return $"postgres://sluice:sluice@127.0.0.1:{PostgresPort}/{name}";
    }

    /// <summary>
    /// Drops a database a test made, never failing the test: a drop is cleanup, and on a loaded machine it can wait long
    /// (it checkpoints, and FORCE first ends every session on the database), past a 30 s command timeout. This
    /// process's pooled connections to it are let go first; the drop has no command timeout but gives up after
    /// <paramref name="wait"/> (2 minutes by default), leaving the database to the throwaway server. Returns null once
    /// dropped, otherwise why not, for the test's output.
    /// </summary>
    public async Task<string?> DropDatabaseAsync(string name, TimeSpan? wait = null)
    {
        NpgsqlConnection.ClearAllPools();
        using var cts = new CancellationTokenSource(wait ?? TimeSpan.FromMinutes(2));
        try
        {
            await using var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=postgres;Pooling=false;Timeout=60");
            await conn.OpenAsync(cts.Token);
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn) { CommandTimeout = 0 };
            await cmd.ExecuteNonQueryAsync(cts.Token);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return $"database {name} was left behind (the test server is thrown away at the end): {ex.Message}";
        }
    }

    /// <summary>
    /// How long a test waits for the broker to deliver what it must deliver: waits under 15 s have flaked on loaded CI
    /// machines. Not for waits that assert something does not arrive, which stay short.
    /// </summary>
    public static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    /// <summary>A queue prefix no other test uses.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..10];

    public Task StopRabbitMqAsync() => Script("rabbitmq-local.sh", "stop", RabbitDir);

    public Task StartRabbitMqAsync() => Script("rabbitmq-local.sh", "start", RabbitDir);

    public Task StopPostgresAsync() => Script("postgres-local.sh", "stop", PostgresDir);

    public Task StartPostgresAsync() => Script("postgres-local.sh", "start", PostgresDir);

    public async Task DisposeAsync()
    {
        if (WithRabbitMq)
        {
            await StopRabbitMqAsync();
        }

        if (WithPostgres)
        {
            await StopPostgresAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Value(string output, string key)
    {
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return line[(key.Length + 1)..].Trim();
            }
        }

        return "";
    }

    private static async Task<string> Script(string name, string command, string dir)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", name));
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add(dir);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} {command} failed ({p.ExitCode}): {await stdout}{await stderr}");
        }

        return await stdout;
    }
}
