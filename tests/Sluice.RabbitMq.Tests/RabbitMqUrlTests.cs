namespace Sluice.RabbitMq.Tests;

/// <summary>The queue URL as the client is given it and as logs show it.</summary>
public sealed class RabbitMqUrlTests
{
    [Theory]
    [InlineData("rabbitmq://u:p@broker/v", "amqp://u:p@broker:5672/v")]
    [InlineData("amqp://u:p@broker/v", "amqp://u:p@broker:5672/v")]
    [InlineData("amqps://u:p@broker/v", "amqps://u:p@broker:5671/v")]
    [InlineData("amqps://u:p@broker:5672/v", "amqps://u:p@broker:5672/v")]
    [InlineData("rabbitmq://u:p@broker:5999/v", "amqp://u:p@broker:5999/v")]
    public void ToAmqp_PortWrittenOrNot_TheSchemesPortUnlessWritten(string url, string expected)
    {
        Assert.Equal(new Uri(expected), RabbitMqUrl.ToAmqp(url));
    }

    [Theory]
    [InlineData("rabbitmq://u:secret@broker/v", "rabbitmq://u@broker:5672/v")]
    [InlineData("amqps://u:secret@broker/v", "amqps://u@broker:5671/v")]
    public void Redact_NoPortWritten_ShowsThePortUsedAndNoPassword(string url, string expected)
    {
        Assert.Equal(expected, RabbitMqUrl.Redact(url));
    }
}
