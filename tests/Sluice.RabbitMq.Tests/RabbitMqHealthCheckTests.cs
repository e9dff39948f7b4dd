using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.RabbitMq.Tests;

public sealed class RabbitMqHealthCheckTests
{
    [Fact]
    public void Failed_ProbePublishThrows_AnswerKeepsTheClientMessageForTheLogOnly()
    {
        var ex = new InvalidOperationException("Already closed: connection to amqp://sluice@10.1.2.3:5672/prod-vhost was lost");

        var result = RabbitMqHealthCheck.Failed("RabbitMQ refused a publish", ex);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.DoesNotContain("10.1.2.3", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("prod-vhost", result.Description, StringComparison.Ordinal);
        Assert.Contains("a probe publish failed (InvalidOperationException)", result.Description, StringComparison.Ordinal);
        Assert.Same(ex, result.Exception);
    }

    [Fact]
    public void Failed_ProbeTimesOut_AnswerSaysNotConfirmedInTime()
    {
        var result = RabbitMqHealthCheck.Failed("RabbitMQ did not confirm a publish", new TimeoutException());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("was not confirmed within", result.Description, StringComparison.Ordinal);
    }
}
