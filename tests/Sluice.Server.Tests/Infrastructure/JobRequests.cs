using System.Text;
using System.Text.Json;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>The jobs API calls tests make, for any client (in-process <see cref="TestServer"/> or a <see cref="ServerProcess"/>).</summary>
internal static class JobRequests
{
    public static async Task<(HttpResponseMessage Response, JsonElement Body)> PostJobAsync(this HttpClient client, string json, int waitSeconds = 0, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (waitSeconds > 0)
        {
            request.Headers.Add("Prefer", $"wait={waitSeconds}");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await client.SendAsync(request);
        var body = await TestServer.ReadJsonAsync(response);
        return (response, body);
    }

    public static async Task<JsonElement> GetJobAsync(this HttpClient client, string id)
    {
        using var r = await client.GetAsync($"/v1/jobs/{id}");
        r.EnsureSuccessStatusCode();
        return await TestServer.ReadJsonAsync(r);
    }
}
