using System.CommandLine;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice jobs get|cancel|list</c>.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var jobs = new Command("jobs", "Inspect and cancel jobs on a running server.");
        var client = new ClientOptions();

        var get = new Command("get", "Show a job.");
        var getId = new Argument<string>("id");
        get.Arguments.Add(getId);
        client.AddTo(get);
        get.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.GetAsync($"v1/jobs/{Uri.EscapeDataString(CliChecks.JobId(r.GetValue(getId)))}", ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        var cancel = new Command("cancel", "Cancel a job.");
        var cancelId = new Argument<string>("id");
        cancel.Arguments.Add(cancelId);
        client.AddTo(cancel);
        cancel.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.DeleteAsync($"v1/jobs/{Uri.EscapeDataString(CliChecks.JobId(r.GetValue(cancelId)))}", ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        var list = new Command("list", "List this key's jobs, newest first (the answer's 'next' is the --before of the next page).");
        var status = new Option<string?>("--status") { Description = "Only jobs with this status." };
        var model = new Option<string?>("--model") { Description = "Only jobs of this model." };
        var before = new Option<string?>("--before") { Description = "Only jobs older than this job id: the 'next' of the previous page." };
        var limit = new Option<int>("--limit") { Description = "Jobs per page, 1-1000.", DefaultValueFactory = _ => 20 };
        list.Options.Add(status);
        list.Options.Add(model);
        list.Options.Add(before);
        list.Options.Add(limit);
        client.AddTo(list);
        list.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            var query = $"v1/jobs?limit={r.GetValue(limit)}" + Filter("status", r.GetValue(status)) + Filter("model", r.GetValue(model)) + Filter("before", r.GetValue(before));
            using var response = await http.GetAsync(query, ct);
            return await CliOutput.PrintAsync(response, r, ct);
        });

        jobs.Subcommands.Add(get);
        jobs.Subcommands.Add(cancel);
        jobs.Subcommands.Add(list);
        return jobs;
    }

    private static string Filter(string name, string? value) => value is null ? "" : "&" + name + "=" + Uri.EscapeDataString(value);
}
