using System.CommandLine;
using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

/// <summary>
/// Every CLI option is named in README.md or docs/*.md, and the README's command table shows each option of the
/// jobs commands in their synopsis ('jobs get --json' and 'jobs cancel --json' were only in a parenthesis).
/// </summary>
public sealed class CliDocumentationTests
{
    /// <summary>Options every command has or that the README names once for all (--url, --api-key: "no server at --url").</summary>
    private static readonly HashSet<string> s_general = ["--help", "--version", "--url", "--api-key"];

    [Fact]
    public void Readme_JobsCommands_ShowEachOfTheirOptions()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var jobs = CommandCatalog.CreateRoot().Subcommands.Single(c => c.Name == "jobs");

        var missing = jobs.Subcommands
            .SelectMany(c => c.Options.Where(o => !o.Hidden && !s_general.Contains(o.Name)).Select(o => (Command: c.Name, Option: o.Name)))
            .Where(x => !readme.Contains($"jobs {x.Command} ", StringComparison.Ordinal)
                || !SynopsisOf(readme, $"jobs {x.Command} ").Contains(x.Option, StringComparison.Ordinal))
            .Select(x => $"jobs {x.Command} {x.Option}")
            .ToList();

        Assert.True(missing.Count == 0, "README.md's command table does not show: " + string.Join(", ", missing));
    }

    [Fact]
    public void Docs_EveryOptionOfEveryCommand_IsNamedInReadmeOrDocs()
    {
        var root = RepoRoot();
        var docs = string.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")).Select(File.ReadAllText));

        var missing = Commands(CommandCatalog.CreateRoot(), "sluice")
            .SelectMany(c => c.Command.Options.Where(o => !o.Hidden && !s_general.Contains(o.Name) && !docs.Contains(o.Name, StringComparison.Ordinal))
                .Select(o => $"{c.Path} {o.Name}"))
            .ToList();

        Assert.True(missing.Count == 0, "not named in the docs: " + string.Join(", ", missing));
    }

    /// <summary>The README's synopsis of a command: from its name to the end of that backtick span.</summary>
    private static string SynopsisOf(string readme, string command)
    {
        var start = readme.IndexOf(command, StringComparison.Ordinal);
        var end = readme.IndexOf('`', start);
        return readme[start..end];
    }

    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        foreach (var sub in command.Subcommands)
        {
            var subPath = path + " " + sub.Name;
            yield return (subPath, sub);
            foreach (var nested in Commands(sub, subPath))
            {
                yield return nested;
            }
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
