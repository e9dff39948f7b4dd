using System.CommandLine;
using Sluice.Bench;
using Sluice.Bench.Reporting;
using Sluice.Bench.Scenarios;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice bench scenario NAME</c>: runs one scenario, starting the servers it needs.</summary>
internal static class BenchScenarioCommand
{
    public static Command Create()
    {
        var names = string.Join(", ", ScenarioCatalog.All.Select(s => s.Name));
        var command = new Command("scenario", $"Run a scenario ({names}); results go to bench-results/scenario-NAME-<time>/.");
        var name = new Argument<string>("name") { Description = string.Join("; ", ScenarioCatalog.All.Select(s => $"{s.Name}: {s.Description}")) };
        var quick = new Option<bool>("--quick") { Description = "Short stages and small counts (smoke run; figures not comparable)" };
        var set = new Option<string[]>("--set") { Description = "Scenario setting KEY=VALUE (repeatable): " + string.Join("; ", ScenarioCatalog.All.Select(s => $"{s.Name}: {(s.SettingKeys.Count == 0 ? "none" : string.Join(", ", s.SettingKeys))}")), DefaultValueFactory = _ => [] };
        var outDir = new Option<string?>("--out") { Description = "Results folder" };
        var sluiceDll = new Option<string?>("--sluice-dll") { Description = "The sluice.dll servers are started from (default: the Release build of this repo)" };
        var noLive = new Option<bool>("--no-live") { Description = "No live display" };
        command.Arguments.Add(name);
        foreach (Option o in (Option[])[quick, set, outDir, sluiceDll, noLive])
        {
            command.Options.Add(o);
        }

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            IAnsiConsole console = BenchConsole.Create();
            IScenario? scenario = ScenarioCatalog.Find(r.GetValue(name)!);
            if (scenario is null)
            {
                console.MarkupLine($"[red]bench:[/] unknown scenario '{Markup.Escape(r.GetValue(name)!)}' (one of {Markup.Escape(names)})");
                return 2;
            }

            string root = RepoLocator.FindRoot() ?? RepoLocator.FindRoot(Environment.CurrentDirectory) ?? Environment.CurrentDirectory;
            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string kv in r.GetValue(set) ?? [])
            {
                int eq = kv.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    console.MarkupLine($"[red]bench:[/] --set expects KEY=VALUE, got '{Markup.Escape(kv)}'");
                    return 2;
                }

                settings[kv[..eq]] = kv[(eq + 1)..];
            }

            DateTimeOffset started = DateTimeOffset.UtcNow;
            string dir = r.GetValue(outDir) ?? ResultsWriter.NewRunDirectory(Path.Combine(root, "bench-results"), "scenario-" + scenario.Name, started);
            try
            {
                ScenarioCatalog.CheckSettings(scenario, settings.Keys);
                ResultsWriter.PrepareDirectory(dir);
            }
            catch (BenchConfigurationException e)
            {
                console.MarkupLine("[red]bench:[/] " + Markup.Escape(e.Message));
                return 2;
            }

            var context = new ScenarioContext
            {
                RepoRoot = root,
                SluiceDll = r.GetValue(sluiceDll) ?? RepoLocator.SluiceDll(root),
                OutputDirectory = dir,
                Session = new BenchSession(console, live: !r.GetValue(noLive)),
                Quick = r.GetValue(quick),
                Settings = settings,
            };
            try
            {
                console.MarkupLine(Markup.Escape($"scenario {scenario.Name}: {scenario.Description}"));
                BenchRun run = await scenario.RunAsync(context, ct);
                run = run with { Command = "sluice " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)) };
                IReadOnlyList<ChartFile> charts = ResultsWriter.Write(run, dir);
                ConsoleReport.Write(console, run);
                console.MarkupLine(Markup.Escape($"results: {Path.GetFullPath(dir)} (results.json, results.md, {charts.Count} charts; took {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min)"));
                return 0;
            }
            catch (BenchConfigurationException e)
            {
                console.MarkupLine("[red]bench:[/] " + Markup.Escape(e.Message));
                return 2;
            }
        });
        return command;
    }
}
