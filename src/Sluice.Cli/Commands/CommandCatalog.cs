using System.CommandLine;

namespace Sluice.Cli.Commands;

/// <summary>Every top-level command of <c>./sluice</c>; one line per command group.</summary>
internal static class CommandCatalog
{
    public static RootCommand CreateRoot()
    {
        // 'test', 'dev' and 'blog' are run by the ./sluice script itself (scripts/test.sh, scripts/dev.sh, dotnet run of
        // src/Sluice.Blog), so only this text lists them.
        var root = new RootCommand(
            "Sluice: a high-concurrency serving platform for AI workloads. " +
            $"Errors print one 'error:' line; set {CliRunner.DebugVariable}=1 for the stack trace.\n" +
            "The ./sluice script also runs: ./sluice test [ARGS] (installs what the tests need, builds and runs every test; ./sluice test --help), " +
            "./sluice dev up [WORKERS]|down|status (a local distributed Sluice: gateway, workers, RabbitMQ, PostgreSQL; ./sluice dev --help) " +
            "and ./sluice blog [--Blog:Sluice:BaseUrl=URL] (seed 003's blog on http://127.0.0.1:5000, a client of a Sluice server; docs/blog.md).");
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
