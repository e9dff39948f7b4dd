using System.Text.Json;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>concurrency</c>: seed 003's table, 1/5/10/20/50/100 concurrent users against three endpoints — a cheap page
/// (<c>GET /health/ready</c>, the seed's home page), a detail read (<c>GET /v1/jobs/{id}</c>, the seed's post page) and
/// AI generation (a <c>count</c> job of 32 tokens with <c>Prefer: wait</c>) — with the seed's columns (avg, median,
/// max, min, p95, throughput, error rate). Unlike the seed (one request per user) each cell is a closed loop over a
/// fixed time, so the percentiles rest on thousands of requests.
/// </summary>
internal sealed class ConcurrencyScenario : IScenario
{
    public string Name => "concurrency";

    public string Description => "seed 003's table: 1/5/10/20/50/100 concurrent users x endpoints";

    public IReadOnlyList<string> SettingKeys { get; } = ["model", "input"];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int[] levels = context.Quick ? [1, 5] : [1, 5, 10, 20, 50, 100];
        TimeSpan warmup = context.Quick ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(1);
        TimeSpan duration = context.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5);
        string genModel = context.GetString("model", "count");
        string genInput = context.GetString("input", """{"n":32}""");

        await using SluiceServerProcess server = await context.StartServerAsync("concurrency", [], cancellationToken).ConfigureAwait(false);
        string jobId = await CreateJobAsync(server.BaseUri, cancellationToken).ConfigureAwait(false);

        var endpoints = new (string Name, TargetSpec Spec)[]
        {
            ("home (GET /health/ready)", new TargetSpec { Kind = TargetKind.Http, Url = new Uri(server.BaseUri, "/health/ready") }),
            ("detail (GET /v1/jobs/{id})", new TargetSpec { Kind = TargetKind.Http, Url = new Uri(server.BaseUri, "/v1/jobs/" + jobId) }),
            ($"AI generation ({genModel} job)", new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, Model = genModel, InputJson = genInput }),
        };
        var series = new List<StageSeries>();
        var rows = new List<IReadOnlyList<string>>();
        foreach ((string name, TargetSpec spec) in endpoints)
        {
            var stages = new List<LoadOptions>();
            foreach (int c in levels)
            {
                stages.Add(new LoadOptions { Label = $"c={c}", Concurrency = c, Warmup = warmup, Duration = duration, RequestDeadline = TimeSpan.FromSeconds(60) });
            }

            await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(60));
            StageSeries s = await context.Session.RunSeriesAsync(name, target, stages, cancellationToken).ConfigureAwait(false);
            series.Add(s);
            foreach (StageResult r in s.Stages)
            {
                rows.Add(
                [
                    name, Fmt.Int(r.Concurrency), Fmt.Ms(r.Latency.MeanMs), Fmt.Ms(r.Latency.P50Ms), Fmt.Ms(r.Latency.MaxMs), Fmt.Ms(r.Latency.MinMs),
                    Fmt.Ms(r.Latency.P95Ms), Fmt.Ms(r.Latency.P99Ms), Fmt.Rate(r.ThroughputPerSecond), Fmt.Percent(r.ErrorRate + r.RejectionRate), Fmt.Int(r.Sent),
                ]);
            }
        }

        return new BenchRun
        {
            Name = "scenario concurrency",
            Target = server.BaseUri.ToString(),
            StartedAt = started,
            Series = series,
            Summaries =
            [
                new SummaryTable
                {
                    Title = "Seed 003's concurrency table (latency in ms, throughput in requests/s)",
                    Columns = ["endpoint", "users", "avg", "median", "max", "min", "p95", "p99", "throughput", "error rate", "requests"],
                    Rows = rows,
                },
            ],
            Notes = [$"Each cell: closed loop, {warmup.TotalSeconds:0.#} s warm-up then {duration.TotalSeconds:0.#} s measured; error rate counts failures and rejections."],
        };
    }

    private static async Task<string> CreateJobAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        using HttpClient client = BenchHttp.CreateClient();
        using var content = new StringContent("""{"model":"echo","input":{"text":"detail page"}}""", System.Text.Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "/v1/jobs")) { Content = content };
        request.Headers.TryAddWithoutValidation("Prefer", "wait=10");
        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchConfigurationException($"Could not create a job for the detail endpoint: {(int)response.StatusCode}.");
        }

        return JobResponse.Parse(body).Id ?? throw new JsonException("The job has no id.");
    }
}
