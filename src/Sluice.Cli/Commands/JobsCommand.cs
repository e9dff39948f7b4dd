using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice jobs get|cancel|requeue|list</c>.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var jobs = new Command("jobs", "Inspect, cancel and requeue jobs on a running server.");
        var client = new ClientOptions();

        // get and cancel always print the job's JSON; --json is taken too, as 'jobs list --json' and 'models --json'
        // teach users to type it (it was an "Unrecognized command or argument" error).
        var getJson = new Option<bool>("--json") { Description = "Print the job's JSON (what get always prints)." };
        var get = new Command("get", "Show a job (its JSON).");
        var getId = new Argument<string>("id") { Description = "Job id (job_…)." };
        get.Arguments.Add(getId);
        get.Options.Add(getJson);
        client.AddTo(get);
        get.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.GetAsync($"v1/jobs/{Uri.EscapeDataString(CliChecks.JobId(r.GetValue(getId)))}", ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        var cancelJson = new Option<bool>("--json") { Description = "Print the job's JSON (what cancel always prints)." };
        var cancel = new Command("cancel", "Cancel a job and print it (its JSON).");
        var cancelId = new Argument<string>("id") { Description = "Job id (job_…)." };
        cancel.Arguments.Add(cancelId);
        cancel.Options.Add(cancelJson);
        client.AddTo(cancel);
        cancel.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.DeleteAsync($"v1/jobs/{Uri.EscapeDataString(CliChecks.JobId(r.GetValue(cancelId)))}", ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        // The server's POST /v1/dead-letters/{id}/requeue: a fresh attempt budget; 409 unless dead-lettered.
        var requeueJson = new Option<bool>("--json") { Description = "Print the job's JSON (what requeue always prints)." };
        var requeue = new Command("requeue", "Put a dead-lettered job back in its queue with a fresh attempt budget and print it (its JSON).");
        var requeueId = new Argument<string>("id") { Description = "Job id (job_…) of a dead-lettered job." };
        requeue.Arguments.Add(requeueId);
        requeue.Options.Add(requeueJson);
        client.AddTo(requeue);
        requeue.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.PostAsync($"v1/dead-letters/{Uri.EscapeDataString(CliChecks.JobId(r.GetValue(requeueId)))}/requeue", null, ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        var list = new Command("list", "List this key's jobs, newest first, as a table (--json: the server's page, whose 'next' is the --before of the next page).");
        var status = new Option<string?>("--status") { Description = "Only jobs with this status." };
        var model = new Option<string?>("--model") { Description = "Only jobs of this model." };
        var before = new Option<string?>("--before") { Description = "Only jobs older than this job id: the 'next' of the previous page." };
        var limit = new Option<int>("--limit") { Description = "Jobs per page, 1-1000.", DefaultValueFactory = _ => 20 };
        list.Options.Add(status);
        list.Options.Add(model);
        list.Options.Add(before);
        var json = new Option<bool>("--json") { Description = "Print the raw JSON page." };
        list.Options.Add(limit);
        list.Options.Add(json);
        client.AddTo(list);
        list.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            var query = $"v1/jobs?limit={r.GetValue(limit)}" + Filter("status", r.GetValue(status)) + Filter("model", r.GetValue(model)) + Filter("before", r.GetValue(before));
            using var response = await http.GetAsync(query, ct);
            if (r.GetValue(json) || !response.IsSuccessStatusCode)
            {
                return await CliOutput.PrintAsync(response, r, ct);
            }

            using var doc = CliOutput.ParseAnswer(response, await response.Content.ReadAsStringAsync(ct));
            try
            {
                await PrintTableAsync(doc.RootElement, r);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // JSON, but not a job page (another JSON service at --url).
                throw CliOutput.NotSluice(response);
            }

            return 0;
        });

        jobs.Subcommands.Add(get);
        jobs.Subcommands.Add(cancel);
        jobs.Subcommands.Add(requeue);
        jobs.Subcommands.Add(list);
        return jobs;
    }

    private static async Task PrintTableAsync(JsonElement page, ParseResult r)
    {
        var output = r.InvocationConfiguration.Output;
        var data = page.GetProperty("data");
        if (data.GetArrayLength() > 0)
        {
            await output.WriteLineAsync($"{"ID",-30} {"MODEL",-20} {"STATUS",-13} {"CREATED (UTC)",-19} {"ATTEMPTS",8} {"QUEUED_MS",10} {"RUN_MS",10}");
        }

        foreach (var job in data.EnumerateArray())
        {
            var created = job.GetProperty("created_at").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            await output.WriteLineAsync(
                $"{job.GetProperty("id").GetString(),-30} {job.GetProperty("model").GetString(),-20} {job.GetProperty("status").GetString(),-13} {created,-19} {job.GetProperty("attempts").GetInt32(),8} {Millis(job, "queued_ms"),10} {Millis(job, "run_ms"),10}");
        }

        // On stderr, so the table alone can be piped on.
        var error = r.InvocationConfiguration.Error;
        if (data.GetArrayLength() == 0)
        {
            await error.WriteLineAsync("no jobs");
        }
        else if (page.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True)
        {
            await error.WriteLineAsync($"more: --before {page.GetProperty("next").GetString()}");
        }
    }

    /// <summary>A duration column: "-" while the job has not reached that stage.</summary>
    private static string Millis(JsonElement job, string name) =>
        job.TryGetProperty(name, out var ms) && ms.ValueKind == JsonValueKind.Number
            ? ms.GetDouble().ToString("0.0", CultureInfo.InvariantCulture)
            : "-";

    private static string Filter(string name, string? value) => value is null ? "" : "&" + name + "=" + Uri.EscapeDataString(value);
}
