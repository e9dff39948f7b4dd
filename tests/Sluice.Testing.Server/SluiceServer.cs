using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Paths;
using Sluice.Server.Hosting;

namespace Sluice.Testing.Server;

/// <summary>
/// A real Sluice server on 127.0.0.1 with a random port and a throwaway data folder, hosted in the test process
/// (real Kestrel, real SQLite file, real HTTP), as tests/Sluice.Server.Tests does.
/// </summary>
public sealed class SluiceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _keepData;

    private SluiceServer(WebApplication app, string dataDir, Uri baseAddress)
    {
        _app = app;
        DataDir = dataDir;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public string DataDir { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Settings that load the shared stories260K checkpoint as the local model.</summary>
    public static Dictionary<string, string> LocalModel(Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>(more ?? []);
        if (SharedData.TryGetPath("models") is { } models)
        {
            settings["Sluice:Engine:ModelsPaths:0"] = models;
        }

        return settings;
    }

    /// <summary>Starts a server with <paramref name="settings"/> (configuration keys) on a fresh or given data folder.</summary>
    public static async Task<SluiceServer> StartAsync(IDictionary<string, string>? settings = null, string? dataDir = null, Action<IServiceCollection>? configureServices = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        var args = new List<string> { "--urls=http://127.0.0.1:0", $"--Sluice:Storage:DataDir={dataDir}", "--Sluice:Storage:Synchronous=NORMAL", "--Logging:LogLevel:Default=Warning" };
        if (settings is null || !settings.ContainsKey("Sluice:Engine:ModelsPaths:0"))
        {
            // No checkpoints unless a test asks for them: starts faster.
            args.Add($"--Sluice:Engine:ModelsPaths:0={Path.Combine(dataDir, "no-models")}");
        }

        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                args.Add($"--{k}={v}");
            }
        }

        var app = SluiceServerHost.Build(args.ToArray(), configureServices);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new SluiceServer(app, dataDir, new Uri(address));
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

    public async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(string path, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        var response = await Client.SendAsync(request);
        return (response, await ReadJsonAsync(response));
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var r = await Client.GetAsync(path);
        return await ReadJsonAsync(r);
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

    /// <summary>Polls until the job is terminal.</summary>
    public async Task<JsonElement> WaitTerminalAsync(string id, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await GetJsonAsync($"/v1/jobs/{id}");
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

    /// <summary>Stops the server and releases its data folder without deleting it, so that another server can start on it (a restart).</summary>
    public ValueTask StopKeepingDataAsync()
    {
        _keepData = true;
        return DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_keepData)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
