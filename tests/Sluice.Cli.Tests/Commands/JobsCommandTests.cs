using System.Text.Json;
using Sluice.Cli.Commands;
using Sluice.Testing.Server;

namespace Sluice.Cli.Tests.Commands;

/// <summary><c>jobs list</c> against a real server: filters and paging with the answer's <c>next</c>.</summary>
public sealed class JobsCommandTests
{
    [Theory]
    [InlineData("get", "")]
    [InlineData("cancel", "")]
    [InlineData("cancel", "  ")]
    public async Task GetOrCancel_EmptyId_UsageErrorWithoutCallingTheServer(string verb, string id)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        // Port 1: nothing listens there, so an attempted call would fail with a connection error instead.
        var code = await CliRunner.RunAsync(["jobs", verb, id, "--url", "http://127.0.0.1:1"], output, error);

        Assert.Equal(2, code);
        Assert.Equal("error: id must be a job id (job_…), not empty", error.ToString().Trim());
        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("get", "succeeded", true)]
    [InlineData("cancel", "cancelled", true)]
    [InlineData("get", "succeeded", false)]
    [InlineData("cancel", "cancelled", false)]
    public async Task GetOrCancel_WithOrWithoutJson_PrintsTheJobsJson(string verb, string status, bool json)
    {
        // As the README's command table says: get and cancel always print the job's JSON, their --json changes nothing.
        await using var server = await SluiceServer.StartAsync();
        var body = verb == "get" ? """{"model":"echo","input":{"a":1}}""" : """{"model":"count","input":{"n":100000}}""";
        var (_, job) = await server.PostAsync("/v1/jobs", body);
        var id = job.GetProperty("id").GetString()!;
        if (verb == "get")
        {
            await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        }

        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["jobs", verb, id, .. json ? ["--json"] : Array.Empty<string>(), "--url", server.BaseAddress.ToString()], output, error);

        Assert.True(code == 0, error.ToString());
        using var printed = JsonDocument.Parse(output.ToString());
        Assert.Equal(id, printed.RootElement.GetProperty("id").GetString());
        Assert.Equal(status, printed.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Requeue_DeadLetteredJob_PrintsTheRequeuedJobThenNotDeadLetteredIsExit1()
    {
        // POST /v1/dead-letters/{id}/requeue existed with no command: operators had to curl it.
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Models:sleep-batch:MaxAttempts"] = "1" });
        var (_, job) = await server.PostAsync("/v1/jobs", """{"model":"sleep-batch","input":{"fail":true}}""");
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("dead_lettered", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());

        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["jobs", "requeue", id, "--url", server.BaseAddress.ToString()], output, error);

        Assert.True(code == 0, error.ToString());
        using var printed = JsonDocument.Parse(output.ToString());
        Assert.Equal(id, printed.RootElement.GetProperty("id").GetString());
        Assert.Equal("queued", printed.RootElement.GetProperty("status").GetString());

        var (_, other) = await server.PostAsync("/v1/jobs", """{"model":"echo","input":{"a":1}}""");
        var otherId = other.GetProperty("id").GetString()!;
        await server.WaitTerminalAsync(otherId, TimeSpan.FromSeconds(30));
        var refusedOutput = new StringWriter();
        var refusedError = new StringWriter();
        var refused = await CliRunner.RunAsync(["jobs", "requeue", otherId, "--url", server.BaseAddress.ToString()], refusedOutput, refusedError);

        Assert.Equal(1, refused);
        Assert.StartsWith("error 409: Not dead-lettered [id]", refusedError.ToString().Trim(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ListAsync(SluiceServer server, params string[] options)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["jobs", "list", "--json", "--url", server.BaseAddress.ToString(), .. options], output, error);
        Assert.True(code == 0, error.ToString());
        using var doc = JsonDocument.Parse(output.ToString());
        return doc.RootElement.Clone();
    }

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()!)];

    [Fact]
    public async Task List_PagedWithBeforeAndFilteredByModel_ReachesEveryJobOnce()
    {
        await using var server = await SluiceServer.StartAsync();
        var submitted = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, job) = await server.PostAsync("/v1/jobs", "{\"model\":\"echo\",\"input\":{\"i\":" + i + "}}");
            submitted.Add(job.GetProperty("id").GetString()!);
        }

        var (_, other) = await server.PostAsync("/v1/jobs", """{"model":"count","input":{"n":1}}""");

        var first = await ListAsync(server, "--model", "echo", "--limit", "2");
        var next = first.GetProperty("next").GetString()!;
        var second = await ListAsync(server, "--model", "echo", "--limit", "2", "--before", next);

        Assert.True(first.GetProperty("has_more").GetBoolean());
        // Newest first by id; ids made within one millisecond have no order among them, hence the sets.
        Assert.Equal(2, Ids(first).Length);
        Assert.Single(Ids(second));
        Assert.Equal(submitted.Order(StringComparer.Ordinal), Ids(first).Concat(Ids(second)).Order(StringComparer.Ordinal));
        Assert.False(second.GetProperty("has_more").GetBoolean());
        Assert.Equal([other.GetProperty("id").GetString()!], Ids(await ListAsync(server, "--model", "count")));
    }

    [Fact]
    public async Task List_Default_PrintsOneTableRowPerJobAndTheNextPageOnStderr()
    {
        await using var server = await SluiceServer.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, job) = await server.PostAsync("/v1/jobs", "{\"model\":\"echo\",\"input\":{\"i\":" + i + "}}");
            ids.Add(job.GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        }

        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["jobs", "list", "--limit", "2", "--url", server.BaseAddress.ToString()], output, error);

        Assert.True(code == 0, error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ID ", lines[0], StringComparison.Ordinal);
        Assert.Contains("STATUS", lines[0], StringComparison.Ordinal);
        var listed = new List<string>();
        foreach (var row in lines[1..])
        {
            var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // id, model, status, date, time, attempts, queued_ms, run_ms
            Assert.Equal(8, cells.Length);
            Assert.Equal("echo", cells[1]);
            Assert.Equal("succeeded", cells[2]);
            Assert.Equal("1", cells[5]);
            listed.Add(cells[0]);
        }

        Assert.Subset(ids.ToHashSet(StringComparer.Ordinal), listed.ToHashSet(StringComparer.Ordinal));
        Assert.Matches(@"^more: --before job_\w+$", error.ToString().Trim());
    }

    [Fact]
    public async Task List_NoJobs_NoTableAndSaysSoOnStderr()
    {
        await using var server = await SluiceServer.StartAsync();
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["jobs", "list", "--url", server.BaseAddress.ToString()], output, error);

        Assert.Equal(0, code);
        Assert.Equal("", output.ToString());
        Assert.Equal("no jobs", error.ToString().Trim());
    }
}
