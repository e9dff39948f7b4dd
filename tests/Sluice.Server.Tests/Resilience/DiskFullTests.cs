using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Resilience;

/// <summary>
/// A real server process whose files may not grow (RLIMIT_FSIZE through <c>prlimit</c>, no root needed): its SQLite
/// commits fail as on a full disk, and space returns while it runs.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class DiskFullTests
{
    [ToolFact("prlimit")]
    public async Task Submit_DiskFullThenSpaceReturns_503WhileFullThenAcceptedAgainAndNoAcceptedJobLost()
    {
        // SQLite rolls a commit that could not be written back by itself; the store's own rollback then failed and
        // left its connection holding the dead transaction, so every write after it failed ("nested transactions"):
        // submits got 503 and accepted jobs never finished until a restart, however long ago space had returned.
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-full-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "2000",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDir, settings, fileSizeLimitable: true);

            // One job running as the disk fills: its outcome is written while the disk is full.
            var accepted = new List<string> { await SubmitAsync(server, "{\"model\":\"sleep-batch\",\"input\":{\"i\":0},\"cache\":false}") };
            await Poll.UntilAsync(async () => await StatusAsync(server, accepted[0]) == "running", () => "the job never ran: " + server.Output);

            // No file may grow any more: submits with large inputs soon find no room in the journal.
            await server.LimitFileSizeAsync(Directory.GetFiles(dataDir).Max(f => new FileInfo(f).Length));
            var pad = new string('x', 64 * 1024);
            var refused = 0;
            for (var i = 1; i <= 40 && refused == 0; i++)
            {
                using var r = await PostAsync(server, $"{{\"model\":\"echo\",\"input\":{{\"i\":{i},\"pad\":\"{pad}\"}},\"cache\":false}}");
                var body = await r.Content.ReadAsStringAsync();
                if (r.StatusCode == HttpStatusCode.Accepted)
                {
                    accepted.Add(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!);
                    continue;
                }

                Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)r.StatusCode} {body}: {server.Output}");
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(r.Headers.RetryAfter);
                refused++;
            }

            Assert.True(refused > 0, "no submit was refused: the file size limit never filled the disk");

            // Space returns: the same process accepts work again, and every job it accepted finishes.
            await server.LimitFileSizeAsync(null);
            await Poll.UntilAsync(async () =>
            {
                using var r = await PostAsync(server, "{\"model\":\"echo\",\"input\":{\"after\":true},\"cache\":false}");
                if (r.StatusCode != HttpStatusCode.Accepted)
                {
                    return false;
                }

                accepted.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
                return true;
            }, () => "submits still refused after space returned: " + server.Output, TimeSpan.FromSeconds(30));

            foreach (var id in accepted)
            {
                await Poll.UntilAsync(async () => await StatusAsync(server, id) == "succeeded",
                    () => $"{id} did not succeed after space returned: " + server.Output, TimeSpan.FromSeconds(90));
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [ToolFact("prlimit")]
    public async Task HealthReady_DiskFullWhileIdle_503NamingTheStoreWhileLiveStays200ThenReadyAgainWithoutRestart()
    {
        // Readiness looked a job up, which a full disk does not stop: the server stayed in rotation while every submit
        // failed 503, and a load balancer kept sending it work.
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-full-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDir, new Dictionary<string, string>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Sluice.Server.Hosting.HealthTransitionLog"] = "Information",
            }, fileSizeLimitable: true);

            // No file may grow: the write-ahead log has no room for one more page. Nothing is submitted.
            await server.LimitFileSizeAsync(new FileInfo(Path.Combine(dataDir, "sluice.db-wal")).Length);
            var down = await ReadyAsync(server, HttpStatusCode.ServiceUnavailable);
            var store = down.GetProperty("checks").GetProperty("store");
            Assert.Equal("unhealthy", store.GetProperty("status").GetString());
            // The stable reason only (a file size limit reads as SQLite's I/O error, not SQLITE_FULL): SQLite's words are in the log.
            Assert.StartsWith("store refusing writes", store.GetProperty("description").GetString(), StringComparison.Ordinal);
            using (var live = await server.Client.GetAsync("/health/live"))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            using (var refused = await PostAsync(server, "{\"model\":\"echo\",\"input\":{\"x\":1},\"cache\":false}"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            }

            // Space returns: a submit goes through, which ends the hold the refused one put on readiness (the check's own
            // one-page write may fit where a submit's does not), and it is ready again, in the same process, the transition logged.
            await server.LimitFileSizeAsync(null);
            await SubmitAsync(server, "{\"model\":\"echo\",\"input\":{\"x\":2},\"cache\":false}");
            var up = await ReadyAsync(server, HttpStatusCode.OK);
            Assert.Equal("healthy", up.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
            await Poll.UntilAsync(() => Task.FromResult(server.Output.Contains("Health check store is healthy again", StringComparison.Ordinal)),
                () => "the recovery was not logged: " + server.Output, TimeSpan.FromSeconds(10));
            // The anonymous answer gives the stable reason, the log SQLite's own words too.
            Assert.Contains("Health check store is unhealthy: store refusing writes", server.Output, StringComparison.Ordinal);
            Assert.Contains("the job store cannot write now", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Polls /health/ready until it answers <paramref name="expected"/>; its JSON.</summary>
    private static async Task<JsonElement> ReadyAsync(ServerProcess server, HttpStatusCode expected)
    {
        var body = "";
        var status = HttpStatusCode.OK;
        await Poll.UntilAsync(async () =>
        {
            using var r = await server.Client.GetAsync("/health/ready");
            (status, body) = (r.StatusCode, await r.Content.ReadAsStringAsync());
            return status == expected;
        }, () => $"/health/ready still {(int)status} {body}: {server.Output}", TimeSpan.FromSeconds(30));
        return JsonDocument.Parse(body).RootElement;
    }

    private static Task<HttpResponseMessage> PostAsync(ServerProcess server, string json) =>
        server.Client.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<string> SubmitAsync(ServerProcess server, string json)
    {
        using var r = await PostAsync(server, json);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<string?> StatusAsync(ServerProcess server, string id)
    {
        using var r = await server.Client.GetAsync($"/v1/jobs/{id}");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
    }
}
