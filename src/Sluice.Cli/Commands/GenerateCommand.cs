using System.CommandLine;
using System.Text;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice generate</c>: llama2.c's <c>run</c> on the pure C# engine.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint: a llama2.c .bin or a .gguf", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c tokenizer.bin (default: one with the checkpoint's vocabulary size next to it or in ../shared/models)" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", DefaultValueFactory = _ => "" };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; 1 = the model's distribution (negative becomes 0, as in llama2.c)", DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--topp") { Description = "Nucleus sampling threshold (1 disables; outside 0..1 becomes 0.9, as in llama2.c)", DefaultValueFactory = _ => 0.9f };
        var steps = new Option<int>("--steps") { Description = "Positions to run, prompt included (0 or less, or more than the context = context length)", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong?>("--seed") { Description = "RNG seed (default: time)" };
        var printTokens = new Option<bool>("--print-tokens") { Description = "Also print the token ids after BOS on stderr" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Generate text from a llama-family checkpoint, printing as llama2.c's run does and correcting out-of-range values as it does.");
        foreach (var option in new Option[] { model, tokenizer, prompt, temperature, topP, steps, seed, printTokens, threads })
        {
            command.Options.Add(option);
        }

        command.SetAction((ParseResult r) =>
        {
            var t = CliChecks.Finite(r.GetValue(temperature), "--temperature");
            var p = CliChecks.Finite(r.GetValue(topP), "--topp");
            var threadCount = CliChecks.Threads(r.GetValue(threads));
            using var loaded = ModelLoader.Load(r.GetValue(model)!, r.GetValue(tokenizer));
            var runner = new GenerateRunner(loaded, threadCount);
            var seedValue = r.GetValue(seed) ?? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
            runner.Run(r.GetValue(prompt) ?? "", t, p, r.GetValue(steps), seedValue, r.GetValue(printTokens), stdout, Console.Error);
            return 0;
        });
        return command;
    }
}
