using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
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
        await using var collector = await OtlpCollector.StartAsync();
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
        bool FromWorker((string Path, string? ContentType, byte[] Body) p) => p.Path == "/v1/traces" && OtlpCollector.Contains(p.Body, id) && OtlpCollector.Contains(p.Body, "run");
        await Poll.UntilAsync(() => Task.FromResult(collector.Posts.Any(FromWorker)), () => $"{collector.Posts.Length} exports, none with job {id}'s run\n" + cluster.Output, TimeSpan.FromSeconds(30));
        var export = collector.Posts.First(FromWorker).Body;
        Assert.True(Has(export, traceBytes), "the worker's spans are not in the client's trace");
        Assert.True(Has(export, requestSpan), "the worker's spans do not name the gateway's request span as parent");
    }

    private static bool Has(byte[] haystack, byte[] needle) => OtlpCollector.Contains(haystack, needle);
}
