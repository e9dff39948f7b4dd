using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sluice.RabbitMq.Tests;

/// <summary>The <c>Sluice:Queue</c> settings as the server binds them: a duration that cannot work stops the start.</summary>
public sealed class RabbitMqOptionsTests
{
    [Theory]
    [InlineData("ConfirmTimeout", "00:00:00")]
    [InlineData("ConfirmTimeout", "-00:00:02")]
    [InlineData("RepublishAfter", "00:00:00")]
    [InlineData("DepthPollInterval", "-00:00:01")]
    [InlineData("DeadLetterRetention", "00:00:00")]
    [InlineData("DeadLetterRetention", "50.00:00:00")]
    [InlineData("StartTimeout", "-00:00:05")]
    [InlineData("RunningDeadlineGrace", "00:00:00")]
    [InlineData("ConfirmTimeout", "25.00:00:00")]
    public void AddSluiceRabbitMq_DurationOutOfRange_FailsValidationNamingTheSetting(string setting, string value)
    {
        using var services = Build(($"Sluice:Queue:{setting}", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RabbitMqOptions>>().Value);

        Assert.Contains($"Sluice:Queue:{setting} = {value}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeadLetterRetention", "30.00:00:00")]
    [InlineData("RepublishAfter", "60.00:00:00")]
    public void AddSluiceRabbitMq_LongRetentionOrRepublishAge_PassValidation(string setting, string value)
    {
        // A queue TTL up to RabbitMQ's own bound (~49.7 days) must still start: a deployment cannot lower it in place.
        using var services = Build(($"Sluice:Queue:{setting}", value));

        var options = services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;

        Assert.Equal(TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture), setting == "RepublishAfter" ? options.RepublishAfter : options.DeadLetterRetention);
    }

    [Fact]
    public void AddSluiceRabbitMq_Defaults_PassValidation()
    {
        using var services = Build();

        Assert.Equal(TimeSpan.FromSeconds(5), services.GetRequiredService<IOptions<RabbitMqOptions>>().Value.ConfirmTimeout);
    }

    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Sluice:Queue:Url"] = "rabbitmq://guest:guest@127.0.0.1:5672/" };
        foreach (var (k, v) in settings)
        {
            values[k] = v;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSluiceRabbitMq();
        return services.BuildServiceProvider();
    }
}
