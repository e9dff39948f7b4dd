using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Tracing;

/// <summary>A job accepted by a gateway and run by a worker process is one trace: the worker reads the stored traceparent.</summary>
[Collection(BrokersCollection.Name)]
public sealed class CrossProcessTraceTests(Brokers brokers)
{
    [Fact]
    public async Task Submit_GatewayThenWorker_WorkersRunSpanContinuesTheGatewaysRequestSpan()
    {
        var posts = new ConcurrentQueue<byte[]>();
        await using var collector = await KestrelTestServer.StartAsync(app => app.MapPost("/v1/traces", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            posts.Enqueue(buffer.ToArray());
            return Results.Ok();
        }));
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Tracing:Enabled"] = "true",
            ["Sluice:Tracing:Endpoint"] = collector.BaseUri.ToString(),
            ["Sluice:Tracing:Protocol"] = "http/protobuf",
        });
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        var trace = ActivityTraceId.CreateRandom();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new StringContent("{\"model\":\"echo\",\"input\":{\"x\":1},\"cache\":false}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Prefer", "wait=30");
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body + cluster.Output);
        using var job = JsonDocument.Parse(body);
        var id = job.RootElement.GetProperty("id").GetString()!;

        // The gateway stored its own request span, in the client's trace.
        var stored = job.RootElement.GetProperty("trace_parent").GetString()!;
        Assert.Equal(trace.ToHexString(), stored.Split('-')[1]);
        var requestSpan = Convert.FromHexString(stored.Split('-')[2]);
        var traceBytes = new byte[16];
        trace.CopyTo(traceBytes);

        // Only the worker runs models: an export naming the job's run span comes from it, in the client's trace, under
        // the gateway's request span.
        bool FromWorker(byte[] p) => Has(p, Encoding.UTF8.GetBytes(id)) && Has(p, "run"u8.ToArray());
        await Poll.UntilAsync(() => Task.FromResult(posts.Any(FromWorker)), () => $"{posts.Count} exports, none with job {id}'s run\n" + cluster.Output, TimeSpan.FromSeconds(30));
        var export = posts.First(FromWorker);
        Assert.True(Has(export, traceBytes), "the worker's spans are not in the client's trace");
        Assert.True(Has(export, requestSpan), "the worker's spans do not name the gateway's request span as parent");
    }

    private static bool Has(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
