using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sluice.Server.Hosting;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A real Sluice server on 127.0.0.1 with a random port and a throwaway data folder, hosted in the test
/// process (real Kestrel, real SQLite file, real HTTP).
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, string dataDir, Uri baseAddress)
    {
        _app = app;
        DataDir = dataDir;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public string DataDir { get; }

    /// <summary>A folder with no model files, for the engine's models path.</summary>
    public static string EmptyFolder { get; } = Directory.CreateTempSubdirectory("sluice-no-models-").FullName;

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(IDictionary<string, string>? settings = null, string? dataDir = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        // Only the built-in models unless a test asks for more: engine and grader loads would slow every start.
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0", $"--Sluice:Storage:DataDir={dataDir}", "--Sluice:Storage:Synchronous=NORMAL", "--Logging:LogLevel:Default=Warning",
            $"--Sluice:Engine:ModelsPaths:0={EmptyFolder}", "--Sluice:Models:essay-grader:Enabled=false",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                args.Add($"--{k}={v}");
            }
        }

        var app = SluiceServerHost.Build(args.ToArray());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new TestServer(app, dataDir, new Uri(address));
        await server.WaitReadyAsync();
        return server;
    }

    public async Task WaitReadyAsync()
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            using var r = await Client.GetAsync("/health/ready");
            if (r.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("server did not become ready");
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<(HttpResponseMessage Response, JsonElement Body)> PostJobAsync(string json, int waitSeconds = 0, string? idempotencyKey = null) =>
        Client.PostJobAsync(json, waitSeconds, idempotencyKey);

    public Task<JsonElement> GetJobAsync(string id) => Client.GetJobAsync(id);

    /// <summary>Polls until the job is terminal.</summary>
    public async Task<JsonElement> WaitTerminalAsync(string id, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await GetJobAsync(id);
            var status = job.GetProperty("status").GetString();
            if (status is "succeeded" or "failed" or "cancelled" or "expired" or "dead_lettered")
            {
                return job;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"job {id} still {status}");
            }

            await Task.Delay(20);
        }
    }

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

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
