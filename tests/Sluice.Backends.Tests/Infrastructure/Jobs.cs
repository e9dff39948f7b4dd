using System.Text.Json;

namespace Sluice.Backends.Tests.Infrastructure;

/// <summary>Job API helpers.</summary>
internal static class Jobs
{
    /// <summary>Submits a job and waits (Prefer: wait) for its end; returns the job.</summary>
    public static async Task<JsonElement> RunAsync(SluiceServer server, string model, string inputJson, int waitSeconds = 30)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = SluiceServer.Json($$"""{"model":"{{model}}","input":{{inputJson}}}""") };
        request.Headers.Add("Prefer", $"wait={waitSeconds}");
        using var response = await server.Client.SendAsync(request);
        var job = await SluiceServer.ReadJsonAsync(response);
        if (job.ValueKind != JsonValueKind.Object || !job.TryGetProperty("id", out var id))
        {
            throw new InvalidOperationException($"submit answered {(int)response.StatusCode}: {job}");
        }

        return await server.WaitTerminalAsync(id.GetString()!, TimeSpan.FromSeconds(waitSeconds));
    }

    public static async Task<JsonElement> ModelAsync(SluiceServer server, string model) => await server.GetJsonAsync("/v1/models/" + model);

    /// <summary>Polls until the model's backend health is <paramref name="state"/>.</summary>
    public static Task WaitHealthAsync(SluiceServer server, string model, string state, TimeSpan timeout) =>
        WaitMetadataAsync(server, model, "health", state, timeout);

    /// <summary>Polls until the model's <c>metadata.{key}</c> is <paramref name="value"/>.</summary>
    public static async Task WaitMetadataAsync(SluiceServer server, string model, string key, string value, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        string? last = null;
        while (DateTime.UtcNow < until)
        {
            var m = await ModelAsync(server, model);
            if (m.TryGetProperty("metadata", out var md) && md.TryGetProperty(key, out var v))
            {
                last = v.GetString();
                if (last == value)
                {
                    return;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"model {model} metadata.{key} stayed '{last}', expected '{value}'");
    }
}
