using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sluice.Core.Paths;
using Sluice.Grading.Data;
using Sluice.Grading.Scoring;
using Sluice.Grading.Spelling;
using Sluice.Grading.Training;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice grader train|eval</c>: learns and evaluates the essay grader on ../shared/data/asap.</summary>
internal static class GraderCommand
{
    public static Command Create()
    {
        var cmd = new Command("grader", "Train and evaluate the essay grader on the ASAP data set (../shared/data/asap).");
        cmd.Subcommands.Add(Train());
        cmd.Subcommands.Add(Eval());
        cmd.Subcommands.Add(Bench());
        return cmd;
    }

    private static Command Train()
    {
        var output = new Option<FileInfo?>("--output") { Description = $"Model file to write (default: src/Sluice.Grading/Model/{ModelStore.DefaultFileName})" };
        var fold = new Option<int?>("--fold") { Description = "Train on this fold's train+dev split only (default 0, keeping its test split held out); -1 trains on every essay" };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default 2012)" };
        var cmd = new Command("train", "Train the scoring model and write the model file.");
        cmd.Options.Add(output);
        cmd.Options.Add(fold);
        cmd.Options.Add(seed);
        cmd.SetAction((ParseResult r) =>
        {
            var (data, root) = OpenData();
            var f = r.GetValue(fold) ?? 0;
            if (f != -1 && !IsFold(root, f))
            {
                throw new CliUsageException($"--fold must be -1 (every essay) or a fold {FoldRange(root)} (got {f})");
            }

            var trainer = CreateTrainer(r.GetValue(seed));
            var sw = Stopwatch.StartNew();
            var essays = Enumerable.Range(1, 8).SelectMany(data.LoadPrompt).ToList();
            var ids = f < 0 ? essays.Select(e => e.Id).ToHashSet() : data.LoadFold(f, "train").Union(data.LoadFold(f, "dev")).ToHashSet();
            var train = essays.Where(e => ids.Contains(e.Id)).ToList();
            Console.Error.WriteLine($"analysing {train.Count} essays …");
            var prepared = trainer.Prepare(train);
            var what = f < 0 ? $"all {train.Count} ASAP essays" : $"ASAP fold {f} train+dev ({train.Count} essays; fold {f} test held out)";
            var model = trainer.Train(prepared, what);
            var path = r.GetValue(output)?.FullName ?? Path.Combine(RepoRoot(), "src", "Sluice.Grading", "Model", ModelStore.DefaultFileName);
            ModelStore.Save(model, path);
            var saved = ModelStore.Load(path);
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024} KB, version {saved.Version}) in {sw.Elapsed.TotalSeconds:0.0} s; trained on {what}");
            return 0;
        });
        return cmd;
    }

    private static Command Eval()
    {
        var folds = new Option<string?>("--folds") { Description = "Comma-separated folds (default 0,1,2,3,4)" };
        var prompts = new Option<string?>("--prompts") { Description = "Comma-separated prompts (default 1..8)" };
        var noLopo = new Option<bool>("--no-lopo") { Description = "Skip the leave-one-prompt-out evaluation" };
        var raw = new Option<bool>("--raw") { Description = "Score with the model only (skip the integrity checks of the full grader)" };
        var cmd = new Command("eval", "Run the 5-fold protocol and print a Markdown QWK table next to published results.");
        cmd.Options.Add(folds);
        cmd.Options.Add(prompts);
        cmd.Options.Add(noLopo);
        cmd.Options.Add(raw);
        cmd.SetAction((ParseResult r) =>
        {
            var (data, root) = OpenData();
            var f = ParseList(r.GetValue(folds), [0, 1, 2, 3, 4], "--folds", n => IsFold(root, n), $"a fold {FoldRange(root)}");
            var p = ParseList(r.GetValue(prompts), [1, 2, 3, 4, 5, 6, 7, 8], "--prompts", n => n is >= 1 and <= 8, "an ASAP prompt 1-8");
            var trainer = CreateTrainer(null);
            var sw = Stopwatch.StartNew();
            Func<GradingModel, Func<PreparedEssay, int[]>>? factory = r.GetValue(raw) ? null : m =>
            {
                var grader = new Sluice.Grading.EssayGrader(m, trainer.Analyzer);
                return e => grader.ScoreForEvaluation(e.Essay.Text, e.Essay.Prompt);
            };
            var report = new Evaluator(data, trainer, factory).Run(f, p, !r.GetValue(noLopo), m => Console.Error.WriteLine(m));
            Console.WriteLine(report.ToMarkdown());
            Console.Error.WriteLine($"eval took {sw.Elapsed.TotalSeconds:0} s");
            return 0;
        });
        return cmd;
    }

    private static Command Bench()
    {
        var secondsOption = new Option<double?>("--seconds") { Description = "Measuring time per run (default 10)" };
        var cmd = new Command("bench", "Measure grading speed on one core: essays/s for real ASAP essays of about 350 words, and over all prompts.");
        cmd.Options.Add(secondsOption);
        cmd.SetAction((ParseResult r) =>
        {
            var seconds = r.GetValue(secondsOption) ?? 10;
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                throw new CliUsageException($"--seconds must be a number greater than 0 (got {seconds})");
            }

            var (data, _) = OpenData();
            var grader = Sluice.Grading.GraderFactory.Create();
            var essays = Enumerable.Range(1, 8).SelectMany(data.LoadPrompt).ToList();
            var around350 = essays.Where(e => Sluice.Grading.EssayGrader.CountWords(e.Text) is >= 300 and <= 400).ToList();
            var duration = TimeSpan.FromSeconds(seconds);
            Console.WriteLine("| essays | mean words | essays/s (1 core) | ms/essay |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (name, set) in new[] { ("ASAP, 300-400 words", around350), ("ASAP, all prompts", essays) })
            {
                // Warm-up so tiered JIT has settled, then grade in a loop on this one thread.
                for (var i = 0; i < 200; i++)
                {
                    grader.Grade(new Sluice.Grading.EssayRequest(set[i % set.Count].Text, set[i % set.Count].Prompt));
                }

                var sw = Stopwatch.StartNew();
                var n = 0;
                long words = 0;
                while (sw.Elapsed < duration)
                {
                    var e = set[(n * 7919) % set.Count];
                    grader.Grade(new Sluice.Grading.EssayRequest(e.Text, e.Prompt));
                    words += Sluice.Grading.EssayGrader.CountWords(e.Text);
                    n++;
                }

                var rate = n / sw.Elapsed.TotalSeconds;
                Console.WriteLine($"| {name} ({set.Count}) | {words / n} | {rate:0} | {1000 / rate:0.00} |");
            }

            return 0;
        });
        return cmd;
    }

    private static int[] ParseList(string? s, int[] fallback, string option, Func<int, bool> valid, string what)
    {
        if (s is null)
        {
            return fallback;
        }

        // Given but empty, or with an empty item (a typo such as 1,,2): refused, rather than read as "all" or skipped.
        if (string.IsNullOrWhiteSpace(s))
        {
            throw new CliUsageException($"{option} lists no values");
        }

        var values = new List<int>();
        foreach (var part in s.Split(',', StringSplitOptions.TrimEntries))
        {
            values.Add(int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && valid(n)
                ? n
                : throw new CliUsageException(part.Length == 0 ? $"{option}: an empty item in '{s}'" : $"{option}: '{part}' is not {what}"));
        }

        return [.. values];
    }

    /// <summary>The ASAP data and its folder; the error names the folder that was tried (SLUICE_SHARED or ../shared).</summary>
    private static (AsapDataset Data, string Root) OpenData()
    {
        var root = SharedData.TryGetPath("data/asap");
        if (root is null)
        {
            var env = Environment.GetEnvironmentVariable("SLUICE_SHARED");
            throw new DirectoryNotFoundException(string.IsNullOrWhiteSpace(env)
                ? $"ASAP data not found: no ../shared/data/asap above {Directory.GetCurrentDirectory()} (set SLUICE_SHARED to the shared folder)"
                : $"ASAP data not found at {Path.GetFullPath(Path.Combine(env, "data", "asap"))} (SLUICE_SHARED={env})");
        }

        return (new AsapDataset(root), root);
    }

    private static bool IsFold(string root, int fold) => fold >= 0 && Directory.Exists(Path.Combine(root, "folds", $"fold_{fold}"));

    private static string FoldRange(string root)
    {
        var count = 0;
        while (IsFold(root, count))
        {
            count++;
        }

        return count == 0 ? "(none found under folds/)" : $"0-{count - 1}";
    }

    private static GraderTrainer CreateTrainer(int? seed)
    {
        var options = new TrainingOptions();
        if (seed is { } s)
        {
            options = options with { Seed = s };
        }

        var analyzer = new Sluice.Grading.EssayAnalyzer(new SpellChecker(SpellDictionary.Load()));
        return new GraderTrainer(analyzer, options);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
