using System.Text.RegularExpressions;
using Sluice.Backends.Configuration;
using Sluice.Core.BuiltIns;
using Sluice.Core.Scheduling;
using Sluice.Server.Admission;
using Sluice.Server.Hosting;

namespace Sluice.Server.Tests.Hosting;

/// <summary>
/// Every setting an options class binds is named in README.md or docs/*.md: Sluice:Storage:IdempotencyRetention,
/// MaxGroupSize, Sluice:Store:IdempotencyRetention and a backend's Description were settings no page mentioned.
/// </summary>
public sealed class SettingsDocumentationTests
{
    [Fact]
    public void Docs_EverySettingOfEveryBoundOptionsClass_IsNamed()
    {
        var root = RepoRoot();
        var docs = string.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")).Select(File.ReadAllText));
        // The section checks' classes, the entries of their lists and maps, and those checked by their own owners.
        IEnumerable<(Type Type, string Section)> sections = UnknownSettingsCheck.OptionsTypes.Select(t => (Type: t, Section: ServerStartException.SectionOf(t)!))
            .Append((typeof(BuiltInOptions), BuiltInOptions.SectionName)).Append((typeof(SchedulingOptions), "Sluice"))
            .Append((typeof(ApiKeyOptions), "Sluice:Auth:Keys:N")).Append((typeof(BackendOptions), "Sluice:Backends:{name}"));

        var undocumented = sections
            .SelectMany(s => ServerStartException.SettingsOf(s.Type).Select(setting => (s.Section, Setting: setting)))
            .Where(s => s.Setting != "Item" && !Regex.IsMatch(docs, $@"\b{s.Setting}\b"))
            .Select(s => s.Section + ":" + s.Setting);

        Assert.Empty(undocumented);
    }

    [Fact]
    public void Readme_ModelSettingRows_AreTheModelRegistrysSettings()
    {
        // The model registry derives a model's settings from SchedulerSettings; README.md has a row for each of them.
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var documented = Regex.Matches(readme, @"^\| `Sluice:Models:\{model\}:(?<setting>\w+)`", RegexOptions.Multiline).Select(m => m.Groups["setting"].Value);

        Assert.Equal(ModelRegistry.ModelSettings.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }
}
