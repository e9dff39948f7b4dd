using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Hosting;

/// <summary>A key its section does not have (a misspelt setting) is a warning at start, not silently its default.</summary>
public sealed class UnknownSettingsCheckTests
{
    [Fact]
    public async Task ConfigurationProblems_MisspeltSettingsOfFixedSections_NamedWithTheSettingsTheSectionHas()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Cache:MaxByte"] = "5",
            ["Sluice:Queue:Capacity"] = "abc",
            ["Sluice:Cache:maxbytes"] = "1048576",
            ["Sluice:Queue:Aging"] = "00:00:01",
        });

        var problems = server.Services.GetServices<IConfigurationProblemSource>().SelectMany(s => s.ConfigurationProblems()).ToList();

        Assert.Contains("Sluice:Cache:MaxByte is not a setting of Sluice:Cache (its settings: Enabled, MaxBytes, Scope); it is ignored. Did you mean Sluice:Cache:MaxBytes?", problems);
        Assert.Contains(problems, p => p.StartsWith("Sluice:Queue:Capacity is not a setting of Sluice:Queue (its settings: ", StringComparison.Ordinal) && p.Contains("Aging", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("maxbytes", StringComparison.Ordinal) || p.Contains("Queue:Aging", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigurationProblems_MisspeltGradingAuthAndTasksSettings_NamedWithTheSettingsTheSectionHas()
    {
        var problems = ProblemsOf(new Dictionary<string, string?>
        {
            ["Sluice:Grading:ModelPth"] = "/models/grader.bin",
            ["Sluice:Grading:maxwords"] = "900",
            ["Sluice:Auth:AnonymousBurts"] = "5",
            ["Sluice:Auth:AnonymousRequestsPerSecond"] = "2",
            ["Sluice:Tasks:Modle"] = "stories260k",
            ["Sluice:Tasks:Model"] = "stories260k",
        });

        Assert.Equal(
        [
            "Sluice:Grading:ModelPth is not a setting of Sluice:Grading (its settings: ModelPath, WordListPath, HunspellPath, MaxWords, MaxPromptTextChars, MaxBatchSize, MaxQueueDelayMs); it is ignored. Did you mean Sluice:Grading:ModelPath?",
            "Sluice:Auth:AnonymousBurts is not a setting of Sluice:Auth (its settings: Keys, AnonymousRequestsPerSecond, AnonymousBurst, StreamTokenSeconds, StreamTokenSecret); it is ignored. Did you mean Sluice:Auth:AnonymousBurst?",
            "Sluice:Tasks:Modle is not a setting of Sluice:Tasks (its settings: Model, Models); it is ignored. Did you mean Sluice:Tasks:Model?",
        ], problems);
    }

    [Fact]
    public void ConfigurationProblems_MisspeltKeyInsideAListOrMapEntry_NamedWithTheEntryTypesSettings()
    {
        var problems = ProblemsOf(new Dictionary<string, string?>
        {
            ["Sluice:Auth:Keys:0:Id"] = "school",
            ["Sluice:Auth:Keys:0:Kye"] = "a-long-enough-secret",
            ["Sluice:Auth:Keys:1:Id"] = "lab",
            ["Sluice:Auth:Keys:1:sha256"] = new string('a', 64),
            ["Sluice:Backends:vllm:Type"] = "openai",
            ["Sluice:Backends:vllm:BaseUrll"] = "http://127.0.0.1:8000",
        });

        Assert.Equal(2, problems.Count);
        Assert.Contains("Sluice:Auth:Keys:0:Kye is not a setting of Sluice:Auth:Keys:0 (its settings: Id, Key, Sha256, RequestsPerSecond, Burst, TokensPerMinute); it is ignored. Did you mean Sluice:Auth:Keys:0:Key?", problems);
        Assert.Contains(problems, p => p.StartsWith("Sluice:Backends:vllm:BaseUrll is not a setting of Sluice:Backends:vllm (its settings: Type, BaseUrl, ", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigurationProblems_FreeFormMapsAndLists_NotReported()
    {
        // Task names (checked against the task catalog by TaskModelResolver) and folder indices are not settings.
        var problems = ProblemsOf(new Dictionary<string, string?>
        {
            ["Sluice:Tasks:Models:codegen"] = "stories260k",
            ["Sluice:Tasks:Models:no-such-task"] = "stories260k",
            ["Sluice:Engine:ModelsPaths:0"] = "/models",
        });

        Assert.Empty(problems);
    }

    [Fact]
    public void ConfigurationProblems_MisspeltSectionOrSettingDirectlyUnderSluice_NamedWithTheKnownOnes()
    {
        var problems = ProblemsOf(new Dictionary<string, string?>
        {
            ["Sluice:Qeue:Capacity"] = "5",
            ["Sluice:Rol"] = "worker",
            ["Sluice:role"] = "all",
            ["Sluice:Storage:DataDir"] = "./data",
            ["Sluice:Models:echo:MaxBatchSize"] = "4",
            ["Sluice:BuiltIns:CountStepMs"] = "1",
        });

        const string Known = "Auth, Backends, BuiltIns, Cache, Classification, Engine, Grading, Http, Memory, Models, Queue, Retry, Role, Storage, Store, Tasks, Tracing";
        Assert.Equal(
        [
            $"Sluice:Qeue is not a setting or section of Sluice (they are: {Known}); it is ignored. Did you mean Sluice:Queue?",
            $"Sluice:Rol is not a setting or section of Sluice (they are: {Known}); it is ignored. Did you mean Sluice:Role?",
        ], problems);
    }

    [Fact]
    public void ConfigurationProblems_KeyFarFromEveryKnownName_NoGuess()
    {
        var problem = Assert.Single(ProblemsOf(new Dictionary<string, string?> { ["Sluice:Cache:Capacity"] = "5" }));

        Assert.EndsWith("; it is ignored.", problem, StringComparison.Ordinal);
    }

    private static List<string> ProblemsOf(Dictionary<string, string?> settings) =>
        [.. new UnknownSettingsCheck(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).ConfigurationProblems()];
}
