using System.CommandLine;
using System.Globalization;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Engine.Serving;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice engine bench</c>: batched decoding speed of the pure C# engine.</summary>
internal static class EngineCommand
{
    public static Command Create()
    {
        var command = new Command("engine", "The pure C# transformer engine.");
        command.Subcommands.Add(CreateBench());
        return command;
    }

    private static Command CreateBench()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint (.bin or .gguf)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c tokenizer for a .bin checkpoint" };
        var batch = new Option<string>("--batch") { Description = $"Comma-separated batch sizes, each 1 to {EngineOptionsValidator.MaxMaxSequences}", DefaultValueFactory = _ => "1,4,16,32" };
        var steps = new Option<int>("--steps") { Description = "Decode steps per batch size", DefaultValueFactory = _ => 128 };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var repeats = new Option<int>("--repeats") { Description = "Runs per batch size, taken in turn across the batch sizes; the fastest is reported (other load only adds time), the median beside it, and the speed-up vs batch 1 of both", DefaultValueFactory = _ => 3 };
        var hugePages = new Option<bool>("--huge-pages") { Description = "Copy the weights into 2 MiB huge pages (Linux THP) instead of reading them from the file mapping, as the server does by default" };
        var command = new Command("bench", "Measure aggregate tokens/s and per-sequence time per token at several batch sizes.");
        var packed = new Option<bool>("--packed") { Description = "Copy F32 matrices into the panel layout of the outer-product kernels (Sluice:Engine:PackWeights)" };
        foreach (var option in new Option[] { model, tokenizer, batch, steps, threads, repeats, hugePages, packed })
        {
            command.Options.Add(option);
        }

        command.SetAction((ParseResult r) =>
        {
            var batches = new List<int>();
            foreach (var part in r.GetValue(batch)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Bounded as the engine's Sluice:Engine:MaxSequences: a batch of 1e8 overflowed the batch buffers' size
                // (an OverflowException and its stack trace) after the model had loaded.
                batches.Add(int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && b > 0
                    ? b <= EngineOptionsValidator.MaxMaxSequences
                        ? b
                        : throw new CliUsageException($"--batch: {b} is more than {EngineOptionsValidator.MaxMaxSequences} sequences (the engine's most per step, as Sluice:Engine:MaxSequences)")
                    : throw new CliUsageException($"--batch: \"{part}\" is not a positive integer"));
            }

            if (batches.Count == 0)
            {
                throw new CliUsageException("--batch lists no batch sizes (e.g. --batch 1,4,16)");
            }

            var stepCount = CliChecks.AtLeast(r.GetValue(steps), 1, "--steps");
            var repeatCount = CliChecks.AtLeast(r.GetValue(repeats), 1, "--repeats");
            var threadCount = CliChecks.Threads(r.GetValue(threads));
            using var loaded = ModelLoader.Load(r.GetValue(model)!, r.GetValue(tokenizer), r.GetValue(hugePages), r.GetValue(packed));
            if (r.GetValue(hugePages) && !loaded.OnHugePages)
            {
                Console.Error.WriteLine("huge pages unavailable here (not Linux, or transparent huge pages set to never): the weights stay mapped");
            }

            var runner = new EngineBenchRunner(loaded, threadCount);
            runner.Run(batches, stepCount, Console.Out, repeatCount);
            return 0;
        });
        return command;
    }
}
