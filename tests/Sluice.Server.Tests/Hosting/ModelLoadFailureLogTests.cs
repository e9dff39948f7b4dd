using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Hosting;

/// <summary>A model file that fails to load is logged as the bad file it is: its message, without a stack trace.</summary>
public sealed class ModelLoadFailureLogTests
{
    [SharedDataFact("models/stories260K-f32.v1.gguf")]
    public async Task Start_TruncatedGgufInModelsFolder_LogsItsProblemWithoutStackTrace()
    {
        // A download cut short: the GGUF magic and header are there, the tensors are not.
        var folder = Directory.CreateTempSubdirectory("sluice-bad-models-").FullName;
        var whole = await File.ReadAllBytesAsync(SharedDataFactAttribute.RequirePath("models/stories260K-f32.v1.gguf"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "cut.gguf"), whole.AsMemory(0, whole.Length / 2));
        var logs = new RecordingLoggerProvider(LogLevel.Error);
        try
        {
            await using var server = await TestServer.StartAsync(
                new Dictionary<string, string> { ["Sluice:Engine:ModelsPaths:0"] = folder },
                configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
            await Poll.UntilAsync(() => Task.FromResult(logs.Entries.Count > 0), () => "the failed load was never logged");

            var (level, message, exception) = Assert.Single(logs.EntriesWithExceptions);
            Assert.Equal(LogLevel.Error, level);
            Assert.StartsWith($"Model cut failed to load: {Path.Combine(folder, "cut.gguf")}: at offset ", message, StringComparison.Ordinal);
            Assert.Null(exception);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Start_GradingModelPathNamesNoFile_LogsTheSettingAndPathWithoutStackTrace()
    {
        // A typo in the path an operator set: one line naming the setting, not a stack trace to read it from.
        var path = Path.Combine(Path.GetTempPath(), "sluice-no-such-grader-" + Guid.NewGuid().ToString("N") + ".model");
        var logs = new RecordingLoggerProvider(LogLevel.Error);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Sluice:Models:essay-grader:Enabled"] = "true", ["Sluice:Grading:ModelPath"] = path },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        await Poll.UntilAsync(() => Task.FromResult(logs.Entries.Count > 0), () => "the failed load was never logged");

        var (level, message, exception) = Assert.Single(logs.EntriesWithExceptions);
        Assert.Equal(LogLevel.Error, level);
        Assert.Equal($"Model essay-grader failed to load: Sluice:Grading:ModelPath = '{path}': grading model file not found: {path}", message);
        Assert.Null(exception);
    }
}
