using System.CommandLine;

namespace Sluice.Cli.Commands;

/// <summary>Every top-level command of <c>./sluice</c>; one line per command group.</summary>
internal static class CommandCatalog
{
    public static RootCommand CreateRoot()
    {
        // 'test' and 'dev' are run by the ./sluice script itself (scripts/test.sh, scripts/dev.sh), so only this text lists them.
        var root = new RootCommand(
            "Sluice: a high-concurrency serving platform for AI workloads. " +
            $"Errors print one 'error:' line; set {CliRunner.DebugVariable}=1 for the stack trace.\n" +
            "The ./sluice script also runs: ./sluice test [ARGS] (installs what the tests need, builds and runs every test; ./sluice test --help) " +
            "and ./sluice dev up [WORKERS]|down|status (a local distributed Sluice: gateway, workers, RabbitMQ, PostgreSQL; ./sluice dev --help).");
        // Command groups register here, one line each (each group lives in its own file under Commands/).
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(JobsCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(GraderCommand.Create());
        root.Subcommands.Add(GradeCommand.Create());
        root.Subcommands.Add(ClassifierCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(EngineCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
