using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// The shared <see cref="SluiceServer"/> fixture (real Kestrel on 127.0.0.1, real SQLite file, real HTTP) with the
/// defaults of these tests: only the built-in models unless a test asks for more, since engine and grader loads
/// would slow every start, plus the job and event helpers the tests use.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly SluiceServer _server;

    private TestServer(SluiceServer server) => _server = server;

    public string DataDir => _server.DataDir;

    /// <summary>A folder with no model files, for the engine's models path.</summary>
    public static string EmptyFolder { get; } = Directory.CreateTempSubdirectory("sluice-no-models-").FullName;

    public Uri BaseAddress => _server.BaseAddress;

    public HttpClient Client => _server.Client;

    public IServiceProvider Services => _server.Services;

    public static async Task<TestServer> StartAsync(IDictionary<string, string>? settings = null, string? dataDir = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        var all = new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = EmptyFolder,
            ["Sluice:Models:essay-grader:Enabled"] = "false",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            all[k] = v;
        }

        return new TestServer(await SluiceServer.StartAsync(all, dataDir, configureServices));
    }

    public Task WaitReadyAsync() => _server.WaitReadyAsync();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<(HttpResponseMessage Response, JsonElement Body)> PostJobAsync(string json, int waitSeconds = 0, string? idempotencyKey = null) =>
        Client.PostJobAsync(json, waitSeconds, idempotencyKey);

    public Task<JsonElement> GetJobAsync(string id) => Client.GetJobAsync(id);

    /// <summary>Polls until the job is terminal.</summary>
    public Task<JsonElement> WaitTerminalAsync(string id, TimeSpan timeout) => _server.WaitTerminalAsync(id, timeout);

    /// <summary>Reads a whole SSE stream into (id, event, data) triples.</summary>
    public async Task<List<(long Id, string Event, string Data)>> ReadEventsAsync(string id, long lastEventId = 0, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId > 0)
        {
            request.Headers.Add("Last-Event-ID", lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        return await SseParser.ReadAllAsync(await response.Content.ReadAsStreamAsync(ct), ct);
    }

    public static Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) => SluiceServer.ReadJsonAsync(response);

    /// <summary>Stops the server, keeping its data folder for another server to start on (a restart).</summary>
    public ValueTask StopKeepingDataAsync() => _server.StopKeepingDataAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
