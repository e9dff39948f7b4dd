using System.CommandLine;
using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

/// <summary>The --api-key option: its key from SLUICE_API_KEY is sent but never printed.</summary>
[Collection(EnvironmentCollection.Name)] // sets SLUICE_API_KEY for the whole process
public sealed class ClientOptionsTests
{
    private const string Key = "sk-test-3f9a1c-never-print";

    [Theory]
    [InlineData("models", "--help")]
    [InlineData("jobs", "get", "--help")]
    [InlineData("submit", "--help")]
    public async Task Help_ApiKeyInTheEnvironment_IsNotPrinted(params string[] args)
    {
        Environment.SetEnvironmentVariable(ClientOptions.ApiKeyVariable, Key);
        try
        {
            var output = new StringWriter();

            var code = await CliRunner.RunAsync(args, output, new StringWriter());

            Assert.Equal(0, code);
            Assert.Contains("--api-key", output.ToString());
            Assert.DoesNotContain(Key, output.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ClientOptions.ApiKeyVariable, null);
        }
    }

    [Theory]
    [InlineData(new string[0], Key)]
    [InlineData(new[] { "--api-key", "sk-given" }, "sk-given")]
    public void CreateClient_KeyFromTheEnvironmentOrTheOption_SentAsBearer(string[] args, string expected)
    {
        var client = new ClientOptions();
        var command = new RootCommand();
        client.AddTo(command);
        Environment.SetEnvironmentVariable(ClientOptions.ApiKeyVariable, Key);
        try
        {
            using var http = client.CreateClient(command.Parse(args));

            Assert.Equal("Bearer", http.DefaultRequestHeaders.Authorization?.Scheme);
            Assert.Equal(expected, http.DefaultRequestHeaders.Authorization?.Parameter);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ClientOptions.ApiKeyVariable, null);
        }
    }
}
