using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// A model that failed to load is reported to API clients without the server's file system: the log keeps the full
/// path for the operator (ModelLoadFailureLogTests), an answer names the file only.
/// </summary>
public sealed class ModelLoadFailureAnswerTests
{
    [Fact]
    public async Task GetModelAndSubmit_ModelFileMissing_AnswerNamesTheFileNotItsFolder()
    {
        var folder = Directory.CreateTempSubdirectory("sluice-secret-layout-").FullName;
        var path = Path.Combine(folder, "grader.model");
        try
        {
            await using var server = await TestServer.StartAsync(new Dictionary<string, string>
            {
                ["Sluice:Models:essay-grader:Enabled"] = "true",
                ["Sluice:Grading:ModelPath"] = path,
            });
            JsonElement model = default;
            await Poll.UntilAsync(async () =>
            {
                using var r = await server.Client.GetAsync("/v1/models/essay-grader");
                model = await TestServer.ReadJsonAsync(r);
                return model.GetProperty("state").GetString() == "failed";
            }, () => "the model never failed: " + model);

            var error = model.GetProperty("error").GetString()!;
            Assert.DoesNotContain(folder, error, StringComparison.Ordinal);
            Assert.Contains("grader.model", error, StringComparison.Ordinal);

            var (response, problem) = await server.PostJobAsync("""{"model":"essay-grader","input":{}}""");
            Assert.Equal(503, (int)response.StatusCode);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.DoesNotContain(folder, detail, StringComparison.Ordinal);
            Assert.Contains("grader.model", detail, StringComparison.Ordinal);
            response.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
