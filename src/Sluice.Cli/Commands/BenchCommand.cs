using System.CommandLine;
using System.Globalization;
using Sluice.Bench;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice bench</c>: the load generator (closed/open loop) and its scenarios.</summary>
internal static class BenchCommand
{
    /// <summary>
    /// How long System.CommandLine waits for the command after Ctrl+C or SIGTERM before it ends the process (its default
    /// is 2 s): the longest grace for requests in flight, plus time to write the results.
    /// </summary>
    public static readonly TimeSpan TerminationTimeout = LoadOptions.MaxInterruptGrace + TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var command = new Command("bench", "Load-test a Sluice server or any loopback HTTP URL; writes results.json, results.md and SVG charts. Ctrl+C (or SIGTERM) stops sending at once, lets the requests in flight finish for up to --interrupt-grace (those still running then count as cancelled, not failed), writes the results of what ran and exits 130.");
        var target = new Option<string>("--target") { Description = "job (submit + wait), stream (submit + SSE events), infer (synchronous), chat (OpenAI streaming, greedy: answered from the server's result cache after the first request on a deterministic model) or http (any URL)", DefaultValueFactory = _ => "job" };
        var url = new Option<string>("--url") { Description = "Server base URL (or the full URL for --target http; env SLUICE_URL); loopback only unless --allow-host", DefaultValueFactory = _ => ClientOptions.UrlFromEnvironment() };
        var model = new Option<string>("--model") { Description = "Model name (every target but http, whose result rows are named by method and path)", DefaultValueFactory = _ => "echo" };
        var input = new Option<string>("--input") { Description = "Model input JSON", DefaultValueFactory = _ => """{"text":"hello"}""" };
        var cache = new Option<bool>("--cache") { Description = "job/stream: let the server answer from its result cache (measures cache hits); by default every job bypasses it and runs the model" };
        var priority = new Option<string>("--priority") { Description = "Job priority: high, normal or low", DefaultValueFactory = _ => "normal" };
        var prompt = new Option<string>("--prompt") { Description = "Chat prompt (--target chat)", DefaultValueFactory = _ => "Once upon a time" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Chat tokens to generate", DefaultValueFactory = _ => 32 };
        var method = new Option<string>("--method") { Description = "HTTP method (--target http)", DefaultValueFactory = _ => "GET" };
        var body = new Option<string?>("--body") { Description = "HTTP body (--target http)" };
        var concurrency = new Option<string?>("--concurrency") { Description = "Closed loop: comma-separated users per stage, e.g. 1,5,10,20,50,100" };
        var rate = new Option<string?>("--rate") { Description = "Open loop: comma-separated Poisson arrival rates per stage (requests/s)" };
        var profile = new Option<string?>("--profile") { Description = "Open loop profile: step:10,50,100@10s | ramp:10-200@30s | burst:50,500@20s/3s | tidal:5-100@120s" };
        var warmup = new Option<string>("--warmup") { Description = "Warm-up per stage (not measured)", DefaultValueFactory = _ => "2s" };
        var duration = new Option<string>("--duration") { Description = "Measured time per stage (profiles: defaults to the profile's length)", DefaultValueFactory = _ => "10s" };
        var requests = new Option<long>("--requests") { Description = "Most measured requests per stage", DefaultValueFactory = _ => 1_000_000 };
        var deadline = new Option<string>("--deadline") { Description = "Per-request deadline", DefaultValueFactory = _ => "30s" };
        var interruptGrace = new Option<string>("--interrupt-grace") { Description = "After Ctrl+C: how long requests in flight may still finish before they are cancelled (0s cancels them at once; at most 60s)", DefaultValueFactory = _ => "5s" };
        var think = new Option<string>("--think") { Description = "Closed loop: think time between a user's requests", DefaultValueFactory = _ => "0ms" };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "Open loop: most requests in flight", DefaultValueFactory = _ => 512 };
        var allowHost = new Option<string[]>("--allow-host") { Description = "Allow a non-loopback host (repeatable)", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var slo = new Option<double?>("--slo-ms") { Description = "Draw a P99 SLO line on the charts (ms)" };
        var outDir = new Option<string?>("--out") { Description = "Results folder (default bench-results/bench-<time>)" };
        var noLive = new Option<bool>("--no-live") { Description = "No live display (one progress line every 5 s)" };
        foreach (Option o in (Option[])[target, url, model, input, cache, priority, prompt, maxTokens, method, body, concurrency, rate, profile, warmup, duration, requests, deadline, interruptGrace, think, maxInFlight, allowHost, slo, outDir, noLive])
        {
            command.Options.Add(o);
        }

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            IAnsiConsole console = BenchConsole.Create();
            try
            {
                if (r.GetValue(slo) is { } sloMs && !(sloMs > 0 && double.IsFinite(sloMs)))
                {
                    throw new BenchConfigurationException($"--slo-ms must be a number of milliseconds greater than 0 (got {sloMs})");
                }

                TimeSpan deadlineSpan = LoadSpecParser.ParseDuration(r.GetValue(deadline)!, "--deadline");
                var spec = new TargetSpec
                {
                    Kind = ParseKind(r.GetValue(target)!),
                    Url = ParseUrl(r.GetValue(url)!),
                    Model = r.GetValue(model)!,
                    InputJson = r.GetValue(input)!,
                    Priority = r.GetValue(priority)!,
                    UseResultCache = r.GetValue(cache),
                    Prompt = r.GetValue(prompt)!,
                    MaxTokens = r.GetValue(maxTokens),
                    Method = r.GetValue(method)!,
                    Body = r.GetValue(body),
                    AllowedHosts = r.GetValue(allowHost) ?? [],
                };
                var common = new LoadOptions
                {
                    Warmup = LoadSpecParser.ParseDuration(r.GetValue(warmup)!, "--warmup"),
                    Duration = LoadSpecParser.ParseDuration(r.GetValue(duration)!, "--duration"),
                    MaxRequests = r.GetValue(requests),
                    RequestDeadline = deadlineSpan,
                    ThinkTime = LoadSpecParser.ParseDuration(r.GetValue(think)!, "--think"),
                    MaxInFlight = r.GetValue(maxInFlight),
                    InterruptGrace = LoadSpecParser.ParseDuration(r.GetValue(interruptGrace)!, "--interrupt-grace"),
                };
                IReadOnlyList<LoadOptions> stages = BenchStagePlanner.Plan(common, r.GetValue(concurrency), r.GetValue(rate), r.GetValue(profile), durationGiven: r.GetResult(duration) is { Implicit: false });
                foreach (LoadOptions stage in stages)
                {
                    stage.Validate();
                }

                // The target checks its options first, so a bad one leaves no empty results folder behind; the results
                // folder is checked before the run, so a bad --out does not cost the run.
                await using ILoadTarget loadTarget = TargetFactory.Create(spec, deadlineSpan);
                DateTimeOffset started = DateTimeOffset.UtcNow;
                string dir = r.GetValue(outDir) ?? ResultsWriter.NewRunDirectory(Path.Combine(Environment.CurrentDirectory, "bench-results"), "bench", started);
                ResultsWriter.PrepareDirectory(dir);
                var session = new BenchSession(console, live: !r.GetValue(noLive));
                console.MarkupLine(Markup.Escape($"bench: {loadTarget.Description}, {stages.Count} stage(s)"));
                // Ctrl+C ends the run, not its results: the stages that ran, the interrupted one with what it measured
                // until then, are written and summed up as for a whole run (a long multi-stage run otherwise left an
                // empty results folder behind), and the exit code is still 130.
                StageSeries series = await session.RunSeriesUntilCancelledAsync(spec.SeriesName, loadTarget, stages, ct);
                bool interrupted = ct.IsCancellationRequested;
                var run = new BenchRun
                {
                    Name = "bench",
                    Command = "sluice " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                    Target = loadTarget.Description,
                    StartedAt = started,
                    Series = [series],
                    Notes = interrupted ? [InterruptedNote(series.Stages, stages.Count, common.InterruptGrace)] : [],
                };
                IReadOnlyList<ChartFile> charts = ResultsWriter.Write(run, dir, r.GetValue(slo));
                ConsoleReport.Write(console, run);
                console.MarkupLine(Markup.Escape($"results: {Path.GetFullPath(dir)} (results.json, results.md, {charts.Count} charts)"));
                if (interrupted)
                {
                    return 130; // as a shell reports SIGINT
                }

                if (FailureHint.Describe(run.Series, spec) is { } hint)
                {
                    console.MarkupLine("[red]bench:[/] " + Markup.Escape(hint));
                    return 1;
                }

                return 0;
            }
            catch (BenchConfigurationException e)
            {
                console.MarkupLine("[red]bench:[/] " + Markup.Escape(e.Message));
                return 2;
            }
        });
        command.Subcommands.Add(BenchScenarioCommand.Create());
        return command;
    }

    private static string InterruptedNote(IReadOnlyList<StageResult> results, int planned, TimeSpan grace) => results.Count == 0
        ? $"Interrupted (Ctrl+C) before the first of {planned} stage(s) ran."
        : string.Create(CultureInfo.InvariantCulture, $"Interrupted (Ctrl+C) during stage {results.Count} of {planned} ({results[^1].Label}): no request was sent after it, the ones in flight had {grace.TotalSeconds:0.#} s to finish; its figures cover the {results[^1].MeasuredSeconds:0.#} s it measured{(results[^1].Cancelled > 0 ? $"; the {results[^1].Cancelled} request(s) still running then are counted as cancelled, not failed" : "")}.");

    /// <summary>The target's URL; the bare "Invalid URI" of <see cref="Uri"/> named neither the option nor the value.</summary>
    internal static Uri ParseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new BenchConfigurationException($"--url '{text}' is not an absolute http:// or https:// URL (e.g. http://127.0.0.1:8080).");

    private static TargetKind ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "job" => TargetKind.Job,
        "stream" or "job-stream" => TargetKind.JobStream,
        "infer" or "sync" => TargetKind.Infer,
        "chat" or "openai" => TargetKind.Chat,
        "http" or "url" => TargetKind.Http,
        _ => throw new BenchConfigurationException($"Unknown --target '{text}' (job, stream, infer, chat, http)."),
    };
}
