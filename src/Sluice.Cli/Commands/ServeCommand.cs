using System.CommandLine;
using Sluice.Server.Hosting;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice serve</c>: runs the server with the embedded defaults; any ASP.NET Core configuration can follow.</summary>
internal static class ServeCommand
{
    public const string Name = "serve";

    public static Command Create()
    {
        var command = new Command(Name, "Run the Sluice server (default http://127.0.0.1:8080, in-process queue, SQLite store under ./data). " +
            "Extra arguments are ASP.NET Core configuration, e.g. --Sluice:Models:sleep-batch:MaxBatchSize=8. " +
            "Ctrl+C stops gracefully (requests in flight finish, running jobs go back to the queue, up to 30 s); a second Ctrl+C stops at once (exit code 130).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var urls = new Option<string?>("--urls") { Description = "Addresses to listen on (default http://127.0.0.1:8080)." };
        var role = new Option<string?>("--role") { Description = "all (default), gateway (API only) or worker (models only); gateway and worker need --queue and --store." };
        var data = new Option<string?>("--data-dir") { Description = "Folder of the SQLite store (default ./data)." };
        var models = new Option<string?>("--models") { Description = "Folder of model files to serve (default ./models, then ../shared/models)." };
        command.Options.Add(urls);
        command.Options.Add(role);
        command.Options.Add(data);
        command.Options.Add(models);
        var queue = new Option<string?>("--queue") { Description = "rabbitmq://user:pass@host:5672/vhost: distribute jobs through RabbitMQ (default: in-process)." };
        var store = new Option<string?>("--store") { Description = "postgres://user:pass@host:5432/db: keep state in PostgreSQL (default: SQLite under --data-dir)." };
        command.Options.Add(queue);
        command.Options.Add(store);
        command.SetAction((result, ct) =>
        {
            // A failed start is reported once, as one error: line (ServerStartException); the host would log it again
            // with its stack trace. Given first, so a Logging setting on the command line still wins.
            var args = new List<string> { "--Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host=None" };
            Add(args, "urls", result.GetValue(urls));
            Add(args, "Sluice:Role", result.GetValue(role));
            Add(args, "Sluice:Storage:DataDir", result.GetValue(data));
            Add(args, "Sluice:Engine:ModelsPaths:0", result.GetValue(models));
            Add(args, "Sluice:Queue:Url", result.GetValue(queue));
            Add(args, "Sluice:Store:Url", result.GetValue(store));
            args.AddRange(result.UnmatchedTokens);

            // Not cancelled by a signal (CliRunner leaves signals to the host, whose stop is the graceful one).
            return SluiceServerHost.RunAsync(args.ToArray(), ct);
        });
        return command;
    }

    private static void Add(List<string> args, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            args.Add($"--{key}={value}");
        }
    }
}
