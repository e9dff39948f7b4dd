using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Cli.Commands;
using Sluice.Testing.Server;

namespace Sluice.Cli.Tests.Commands;

/// <summary><c>submit</c> against a fake job API whose job only ends once its event stream has been read to the end.</summary>
public sealed class SubmitCommandTests
{
    private static async Task<KestrelTestServer> StartFakeAsync()
    {
        var streamed = 0;
        return await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j1", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j1/events", async (HttpContext http) =>
            {
                http.Response.ContentType = "text/event-stream";
                foreach (var n in new[] { "1", " 2", " 3" })
                {
                    await http.Response.WriteAsync($"event: delta\ndata: {{\"text\":\"{n}\"}}\n\n");
                    await http.Response.Body.FlushAsync();
                    await Task.Delay(20);
                }

                await http.Response.WriteAsync("event: completed\ndata: {\"status\":\"succeeded\"}\n\n");
                Interlocked.Exchange(ref streamed, 1);
            });

            // Like a real server straight after submit: still running until the stream has told the end.
            app.MapGet("/v1/jobs/j1", () => Results.Json(new
            {
                id = "j1",
                status = Volatile.Read(ref streamed) == 1 ? "succeeded" : "running",
                created_at = "2025-01-01T10:00:00+00:00",
            }));
        });
    }

    private static async Task<(int Code, string Output, string Error)> SubmitAsync(Uri server, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["submit", "count", "{\"n\":3}", "--url", server.ToString(), .. extra], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Submit_StreamEndsBeforeTheJob_OneErrorLineNamingTheJob(bool abort)
    {
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j2", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j2/events", async (HttpContext http) =>
            {
                // A server that stops mid-stream: the connection drops, or the stream closes with no terminal event.
                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync("event: started\ndata: {\"attempt\":1}\n\n");
                await http.Response.Body.FlushAsync();
                if (abort)
                {
                    http.Abort();
                }
            });
        });

        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(["submit", "count", "{\"n\":3}", "--url", server.BaseUri.ToString(), "--quiet"], output, error);

        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the event stream of job j2 ended before the job did (", line, StringComparison.Ordinal);
        Assert.EndsWith("); the server keeps the job: ./sluice jobs get j2", line.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_Quiet_WaitsForTheJobAndPrintsOnlyTheFinalJob()
    {
        await using var server = await StartFakeAsync();

        var (code, output, error) = await SubmitAsync(server.BaseUri, "--quiet");

        Assert.Equal(0, code);
        Assert.Contains("\"status\": \"succeeded\"", output);
        Assert.DoesNotContain("1 2 3", output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Submit_Streaming_EndsTheDeltaLineBeforeTheEventTag()
    {
        await using var server = await StartFakeAsync();
        var terminal = new StringWriter(); // stdout and stderr interleaved, as on a terminal

        var code = await CliRunner.RunAsync(["submit", "count", "{\"n\":3}", "--url", server.BaseUri.ToString()], terminal, terminal);

        Assert.Equal(0, code);
        Assert.Contains("1 2 3\n[completed] {\"status\":\"succeeded\"}\n{", terminal.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Submit_EventDataOverSeveralLines_PrintedAsOneEvent()
    {
        // The server splits an event's data at its line breaks (echo returns a pretty-printed input as written).
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j5", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j5/events", async (HttpContext http) =>
            {
                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync("id: 1\nevent: completed\ndata: {\"status\":\"succeeded\",\"result\":{\ndata:   \"at\": \"10:00+00:00\"\ndata: }}\n\n");
            });
            app.MapGet("/v1/jobs/j5", () => Results.Json(new { id = "j5", status = "succeeded" }));
        });
        var terminal = new StringWriter();

        var code = await CliRunner.RunAsync(["submit", "echo", "--url", server.BaseUri.ToString()], terminal, terminal);

        Assert.Equal(0, code);
        Assert.Contains("\n[completed] {\"status\":\"succeeded\",\"result\":{\"at\":\"10:00+00:00\"}}\n{", terminal.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Submit_FinalJob_KeepsPlusInTimestampsUnescaped()
    {
        await using var server = await StartFakeAsync();

        var (_, output, _) = await SubmitAsync(server.BaseUri, "--quiet");

        Assert.Contains("\"created_at\": \"2025-01-01T10:00:00+00:00\"", output);
        Assert.DoesNotContain("\\u002B", output);
    }

    [Fact]
    public async Task Submit_RateLimitedRightAfterTheSubmit_WaitsAndFollowsTheJob()
    {
        // A key whose rate the submit itself spent: the stream and the final job are each refused once with 429.
        var refusedEvents = 0;
        var refusedJob = 0;
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j3", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j3/events", async (HttpContext http) =>
            {
                if (Interlocked.Increment(ref refusedEvents) == 1)
                {
                    http.Response.Headers.RetryAfter = "0";
                    await Results.Problem(statusCode: 429, title: "Too many requests").ExecuteAsync(http);
                    return;
                }

                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync("event: delta\ndata: {\"text\":\"1 2 3\"}\n\nevent: completed\ndata: {\"status\":\"succeeded\"}\n\n");
            });
            app.MapGet("/v1/jobs/j3", async (HttpContext http) =>
            {
                if (Interlocked.Increment(ref refusedJob) == 1)
                {
                    http.Response.Headers.RetryAfter = "0";
                    await Results.Problem(statusCode: 429, title: "Too many requests").ExecuteAsync(http);
                    return;
                }

                await Results.Json(new { id = "j3", status = "succeeded" }).ExecuteAsync(http);
            });
        });

        var (code, output, error) = await SubmitAsync(server.BaseUri);

        Assert.Equal(0, code);
        Assert.StartsWith("1 2 3\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("\"status\": \"succeeded\"", output);
        Assert.DoesNotContain("error", error);
    }

    [Fact]
    public async Task Submit_StreamRefused_ProblemLineNamingTheAcceptedJob()
    {
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j4", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j4/events", () => Results.Problem(statusCode: 404, title: "Job not found", detail: "no job 'j4' visible to this key",
                extensions: new Dictionary<string, object?> { ["field"] = "id" }));
        });

        var (code, _, error) = await SubmitAsync(server.BaseUri, "--quiet");

        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error 404: Job not found [id]: no job 'j4' visible to this key (job j4 was accepted: ./sluice jobs get j4)", line.TrimEnd());
    }

    [Fact]
    public async Task Submit_InputOmitted_PostsAnEmptyObject()
    {
        string? posted = null;
        await using var server = await KestrelTestServer.StartAsync(app => app.MapPost("/v1/jobs", async (HttpContext http) =>
        {
            posted = await new StreamReader(http.Request.Body).ReadToEndAsync();
            return Results.Problem(statusCode: 400, title: "Stop here");
        }));

        var code = await CliRunner.RunAsync(["submit", "count", "--url", server.BaseUri.ToString()], new StringWriter(), new StringWriter());

        Assert.Equal(1, code);
        Assert.Equal("{\"model\":\"count\",\"input\":{},\"priority\":\"normal\"}", posted);
    }
}
