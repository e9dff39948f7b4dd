using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Scheduling;

/// <summary>A terminal event's data is written out by hand, the status by its wire name: it must still read as JSON.</summary>
public sealed class TerminalDataTests
{
    [Theory]
    [InlineData(JobStatus.Failed)]
    [InlineData(JobStatus.Cancelled)]
    [InlineData(JobStatus.Expired)]
    [InlineData(JobStatus.DeadLettered)]
    public void TerminalData_NoErrorText_StatusAndErrorAreTheWireName(JobStatus status)
    {
        using var data = JsonDocument.Parse(JobLifecycle.TerminalData(status, null, null, "code", TimeSpan.FromMilliseconds(1.5)));

        Assert.Equal(status.ToWire(), data.RootElement.GetProperty("status").GetString());
        Assert.Equal(status.ToWire(), data.RootElement.GetProperty("error").GetString());
        Assert.Equal("code", data.RootElement.GetProperty("error_code").GetString());
        Assert.Equal(2, data.RootElement.GetProperty("retry_after_ms").GetInt64());
    }

    [Fact]
    public void TerminalData_ErrorTextAndResult_WrittenAsJson()
    {
        using var failed = JsonDocument.Parse(JobLifecycle.TerminalData(JobStatus.Failed, null, "a \"quoted\" error", null, null));

        Assert.Equal("failed", failed.RootElement.GetProperty("status").GetString());
        Assert.Equal("a \"quoted\" error", failed.RootElement.GetProperty("error").GetString());
        Assert.Equal("{\"status\":\"succeeded\",\"result\":{\"text\":\"hi\"}}", JobLifecycle.TerminalData(JobStatus.Succeeded, "{\"text\":\"hi\"}", null, null, null));
        Assert.Equal("{\"status\":\"succeeded\",\"result\":null}", JobLifecycle.TerminalData(JobStatus.Succeeded, null, null, null, null));
    }
}
