using System.Net;
using System.Net.Http.Headers;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Admission;

/// <summary>
/// Without a configured <c>StreamTokenSecret</c>, gateways on one PostgreSQL store sign stream tokens with the secret
/// the store keeps (generated once by whichever gateway started first): a token from one opens the stream on another.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class SharedStreamTokenSecretTests(Brokers brokers)
{
    [Fact]
    public async Task EventsSse_NoSecretConfiguredTokenOfTheOtherGateway_Accepted()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "team-a",
            ["Sluice:Auth:Keys:0:Key"] = "secret-a",
        });
        // Started together: both generate a secret, the store keeps one.
        var gateways = await Task.WhenAll(cluster.StartAsync("gateway"), cluster.StartAsync("gateway"));
        gateways[0].Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "secret-a");
        var (status, job) = await Cluster.PostJobAsync(gateways[0].Client, """{"model":"echo","input":{"x":1}}""");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = job.GetProperty("id").GetString()!;
        var token = job.GetProperty("stream_token").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events?stream_token={Uri.EscapeDataString(token)}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await gateways[1].Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {cluster.Output}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await cluster.ScalarAsync("SELECT count(*) FROM secrets WHERE name = 'stream_token' AND length(value) = 32"));
    }
}
