using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sluice.RabbitMq.Tests;

/// <summary>Opening the connection: an outage is waited out, a configuration the broker refuses is not.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqConnectionTests(RabbitMqServers servers)
{
    [Theory]
    [InlineData("password", "authentication failed")]
    [InlineData("vhost", "vhost")]
    public async Task GetAsync_BrokerRefusesCredentialsOrVhost_FailsAtOnceSayingWhy(string wrong, string expected)
    {
        var url = wrong == "password"
            ? servers.QueueUrl.Replace("guest:guest@", "guest:not-the-password@", StringComparison.Ordinal)
            : servers.QueueUrl.TrimEnd('/') + "/no-such-vhost";
        await using var connection = new RabbitMqConnection(Options.Create(new RabbitMqOptions { Url = url }), NullLogger<RabbitMqConnection>.Instance);
        var sw = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await connection.GetAsync(CancellationToken.None));

        // Not the 60 s start timeout of an unreachable broker.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Sluice:Queue:Url", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_BrokerUnreachableAfterStartTimeout_FailsNamingTheBrokerAndTheSetting()
    {
        // Port 1 on loopback refuses at once; the wait is shortened from 60 s so the test sees its end.
        var options = new RabbitMqOptions { Url = "rabbitmq://guest:secret@127.0.0.1:1/", StartTimeout = TimeSpan.FromSeconds(1) };
        await using var connection = new RabbitMqConnection(Options.Create(options), NullLogger<RabbitMqConnection>.Instance);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await connection.GetAsync(CancellationToken.None));

        Assert.Contains("RabbitMQ at rabbitmq://guest@127.0.0.1:1/ is not reachable", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Queue:Url", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
