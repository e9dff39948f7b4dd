using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// Gateways and workers sharing one queue prefix and one database on the test run's brokers, configured
/// exactly as a user would: <c>Sluice:Queue:Url</c>, <c>Sluice:Store:Url</c>, <c>Sluice:Role</c>.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<SluiceNode> _nodes = [];
    private readonly Dictionary<string, string> _settings;

    private Cluster(string storeUrl, Dictionary<string, string> settings)
    {
        StoreUrl = storeUrl;
        _settings = settings;
    }

    public string StoreUrl { get; }

    public string Prefix => _settings["Sluice:Queue:Prefix"];

    public string Output => string.Join("\n----\n", _nodes.Select(n => n.Role + ":\n" + n.Output));

    public static async Task<Cluster> CreateAsync(Brokers brokers, IDictionary<string, string>? extra = null)
    {
        var store = await brokers.NewDatabaseAsync();
        var settings = new Dictionary<string, string>
        {
            ["Sluice:Queue:Url"] = brokers.QueueUrl,
            ["Sluice:Queue:Prefix"] = Brokers.NewPrefix(),
            ["Sluice:Store:Url"] = store,
            ["Sluice:Storage:DataDir"] = Path.Combine(Path.GetTempPath(), "sluice-unused-" + Guid.NewGuid().ToString("N")[..8]),
            // Only the built-in models: the transformer checkpoints and the grader would slow every process's start.
            ["Sluice:Engine:ModelsPaths:0"] = "/nonexistent-sluice-models",
            ["Sluice:Grading:ModelPath"] = "/nonexistent-sluice-grader.bin",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sluice:Retry:BaseDelay"] = "00:00:00.100",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        return new Cluster(store, settings);
    }

    public async Task<SluiceNode> StartAsync(string role)
    {
        var node = await SluiceNode.StartAsync(role, _settings);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Starts a node with some settings of its own (e.g. a store URL through a proxy) over the cluster's.</summary>
    public async Task<SluiceNode> StartAsync(string role, IReadOnlyDictionary<string, string> overrides)
    {
        var settings = new Dictionary<string, string>(_settings);
        foreach (var (k, v) in overrides)
        {
            settings[k] = v;
        }

        var node = await SluiceNode.StartAsync(role, settings);
        _nodes.Add(node);
        return node;
    }

    public async Task<NpgsqlConnection> OpenStoreAsync()
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = new Uri(StoreUrl).Port,
            Username = "sluice",
            Password = "sluice",
            Database = new Uri(StoreUrl).AbsolutePath.TrimStart('/'),
            Pooling = false,
        };
        var conn = new NpgsqlConnection(b.ConnectionString);
        await conn.OpenAsync();
        return conn;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var conn = await OpenStoreAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJobAsync(HttpClient client, string json)
    {
        using var r = await client.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (r.StatusCode, body);
    }

    public static async Task<JsonElement> GetJobAsync(HttpClient client, string id)
    {
        using var r = await client.GetAsync($"/v1/jobs/{id}");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls until every job is terminal in the store (one query for all of them).</summary>
    public async Task WaitAllTerminalAsync(int expected, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (await ScalarAsync("SELECT count(*) FROM jobs WHERE status >= 2") < expected)
        {
            if (DateTime.UtcNow > until)
            {
                var done = await ScalarAsync("SELECT count(*) FROM jobs WHERE status >= 2");
                throw new TimeoutException($"only {done} of {expected} jobs finished: {Output[^Math.Min(Output.Length, 20000)..]}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Polls <paramref name="node"/>'s /health/ready until it answers <paramref name="expected"/> with its
    /// <paramref name="check"/> check healthy (200) or unhealthy (503) and <paramref name="reason"/> in that check's
    /// description; returns the answer's JSON.
    /// </summary>
    public async Task<JsonElement> WaitReadyAsync(SluiceNode node, HttpStatusCode expected, string check, string reason = "")
    {
        var want = expected == HttpStatusCode.OK ? "healthy" : "unhealthy";
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var r = await node.Client.GetAsync("/health/ready");
            var body = await r.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            var named = doc.RootElement.GetProperty("checks").GetProperty(check);
            if (r.StatusCode == expected && named.GetProperty("status").GetString() == want
                && (named.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "").Contains(reason, StringComparison.Ordinal))
            {
                return doc.RootElement.Clone();
            }

            Assert.True(DateTime.UtcNow < until, $"/health/ready of the {node.Role} still {(int)r.StatusCode}: {body}\n{Output}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.DisposeAsync();
        }
    }
}
