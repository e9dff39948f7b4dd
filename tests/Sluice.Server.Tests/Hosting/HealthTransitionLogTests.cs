using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Hosting;

/// <summary>Readiness probes every few seconds log a failed check once when it changes, not at every probe.</summary>
public sealed class HealthTransitionLogTests
{
    [Fact]
    public void Observe_SameFailedStateTwiceThenRecovery_OneWarningThenOneRecoveryLine()
    {
        var logger = new RecordingLogger<HealthTransitionLog>(LogLevel.Information);
        var log = new HealthTransitionLog(logger);

        log.Observe(Report(HealthStatus.Healthy, "all models ready"));
        log.Observe(Report(HealthStatus.Degraded, "1 model(s) failed to load", ("essay-grader", "failed")));
        log.Observe(Report(HealthStatus.Degraded, "1 model(s) failed to load", ("essay-grader", "failed")));
        log.Observe(Report(HealthStatus.Degraded, "2 model(s) failed to load"));
        log.Observe(Report(HealthStatus.Healthy, "all models ready"));
        log.Observe(Report(HealthStatus.Healthy, "all models ready"));

        Assert.Equal(
        [
            (LogLevel.Warning, "Health check models is degraded: 1 model(s) failed to load (essay-grader: failed)"),
            (LogLevel.Warning, "Health check models is degraded: 2 model(s) failed to load"),
            (LogLevel.Information, "Health check models is healthy again: all models ready"),
        ], logger.Entries);
    }

    [Fact]
    public async Task HealthReady_ModelFailedToLoad_EachProbeReportsItButOneWarningIsLogged()
    {
        var logs = new RecordingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Sluice:Models:essay-grader:Enabled"] = "true",
                ["Sluice:Grading:ModelPath"] = "/nonexistent-sluice-grader.bin",
            },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));

        for (var i = 0; i < 3; i++)
        {
            using var ready = await server.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var models = (await TestServer.ReadJsonAsync(ready)).GetProperty("checks").GetProperty("models");
            Assert.Equal("degraded", models.GetProperty("status").GetString());
            Assert.Equal("1 model(s) failed to load", models.GetProperty("description").GetString());
        }

        Assert.Single(logs.Warnings, w => w.Contains("1 model(s) failed to load", StringComparison.Ordinal));
    }

    private static HealthReport Report(HealthStatus status, string description, params (string Key, object Value)[] data) =>
        new(
            new Dictionary<string, HealthReportEntry>
            {
                ["models"] = new(status, description, TimeSpan.Zero, null, data.ToDictionary(static d => d.Key, static d => d.Value)),
            },
            TimeSpan.Zero);
}
