using System.CommandLine;
using System.Text.RegularExpressions;
using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

/// <summary>
/// Every CLI option is named in README.md or docs/*.md, and the README's command table shows each jobs command with
/// its arguments and exactly its options ('jobs get --json' and 'jobs cancel --json' were only in a parenthesis).
/// </summary>
public sealed class CliDocumentationTests
{
    /// <summary>Options every command has or that the README names once for all (--url, --api-key: "no server at --url").</summary>
    private static readonly HashSet<string> s_general = ["--help", "--version", "--url", "--api-key"];

    [Fact]
    public void Readme_JobsCommandRow_ShowsEachCommandWithExactlyItsArgumentsAndOptions()
    {
        // Read from the command table's row itself: the first "jobs list " in the README is an example in a code
        // block, whose "synopsis" ran on to the block's end and so named every option whatever the row said.
        var readme = File.ReadAllLines(Path.Combine(RepoRoot(), "README.md"));
        var row = Assert.Single(readme, l => l.StartsWith("| `./sluice jobs ", StringComparison.Ordinal));
        var synopses = Synopses(row[1..row.IndexOf(" | ", StringComparison.Ordinal)]);
        var jobs = CommandCatalog.CreateRoot().Subcommands.Single(c => c.Name == "jobs");

        Assert.Equal(jobs.Subcommands.Select(c => c.Name).Order(), synopses.Keys.Order());
        foreach (var command in jobs.Subcommands)
        {
            var synopsis = synopses[command.Name];
            var words = synopsis.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var argument in command.Arguments)
            {
                // Required, so unbracketed: 'jobs get ID'.
                Assert.True(words.Contains(argument.Name.ToUpperInvariant()), $"'{synopsis}' does not show the argument {argument.Name.ToUpperInvariant()}");
            }

            var options = command.Options.Where(o => !o.Hidden && !s_general.Contains(o.Name)).ToList();
            Assert.Equal(options.Select(o => o.Name).Order(), Regex.Matches(synopsis, "--[a-z][a-z-]*").Select(m => m.Value).Order());
            foreach (var option in options.Where(o => !o.Required))
            {
                // Optional, so bracketed, with a value placeholder unless it is a flag: '[--limit N]', '[--json]'.
                var shown = option.ValueType == typeof(bool) ? $"[{option.Name}]" : $"[{option.Name} ";
                Assert.True(synopsis.Contains(shown, StringComparison.Ordinal), $"'{synopsis}' does not show {option.Name} as '{shown}…'");
            }
        }
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

    /// <summary>A table cell's backtick spans of jobs commands, by command name: <c>jobs get ID [--json]</c> under "get".</summary>
    private static Dictionary<string, string> Synopses(string cell)
    {
        var synopses = new Dictionary<string, string>();
        foreach (Match span in Regex.Matches(cell, "`(?:\\./sluice )?jobs ([a-z]+)([^`]*)`"))
        {
            Assert.True(synopses.TryAdd(span.Groups[1].Value, span.Groups[2].Value), $"jobs {span.Groups[1].Value} is shown twice");
        }

        return synopses;
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
