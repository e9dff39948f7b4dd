using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Server.Admission;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.Server.Tests.Admission;

/// <summary>Which listening addresses make a server without API keys open to more than this machine.</summary>
public sealed class OpenServerWarningTests
{
    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://10.1.2.3:8080")]
    [InlineData("https://sluice.school.example:443")]
    public void BeyondLoopback_WildcardLanOrHostNameAddress_IsReported(string address)
    {
        Assert.Equal([address], OpenServerWarning.BeyondLoopback([address]));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://127.0.0.2:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("http://localhost:8080")]
    public void BeyondLoopback_LoopbackAddress_IsNotReported(string address)
    {
        Assert.Empty(OpenServerWarning.BeyondLoopback([address]));
    }

    [Theory]
    [InlineData("http://0.0.0.0:0", false, true)]
    [InlineData("http://0.0.0.0:0", true, false)]
    [InlineData("http://127.0.0.1:0", false, false)]
    public async Task Start_ListeningAddressAndKeys_WarnsOnlyWhenOpenBeyondLoopback(string url, bool withKey, bool warns)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-open-" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new RecordingLoggerProvider();
        List<string> args =
        [
            "--urls=" + url,
            "--Sluice:Storage:DataDir=" + dir,
            "--Sluice:Engine:ModelsPaths:0=/nonexistent-sluice-models",
            "--Sluice:Grading:ModelPath=/nonexistent-sluice-grader.bin",
        ];
        if (withKey)
        {
            args.Add("--Sluice:Auth:Keys:0:Id=school");
            args.Add("--Sluice:Auth:Keys:0:Key=a-long-enough-secret");
        }

        var app = SluiceServerHost.Build([.. args], s => s.AddSingleton<ILoggerProvider>(logs));
        try
        {
            await app.StartAsync();
            Assert.Equal(warns, logs.Warnings.Any(w => w.Contains("with no API keys", StringComparison.Ordinal)));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
