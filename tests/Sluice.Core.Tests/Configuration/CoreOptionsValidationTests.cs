using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Configuration;

/// <summary>The <c>Sluice:Retry</c> and <c>Sluice:Queue:Aging</c> settings as the server binds them: a value that cannot work stops the start.</summary>
public sealed class CoreOptionsValidationTests
{
    [Theory]
    [InlineData("Sluice:Retry:BaseDelay", "-00:00:01")]
    [InlineData("Sluice:Retry:MaxDelay", "-00:00:01")]
    [InlineData("Sluice:Retry:MaxDelay", "1000.00:00:00")]
    [InlineData("Sluice:Retry:MaxDelay", "00:00:00.1000000")]
    public void AddSluiceCore_RetryDelayOutOfRange_FailsValidationNamingTheSetting(string setting, string value)
    {
        using var services = Build((setting, value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RetryOptions>>().Value);

        Assert.Contains($"{setting} = ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:02")]
    [InlineData("2.00:00:00")]
    public void AddSluiceCore_AgingOutOfRange_FailsValidationNamingTheSetting(string value)
    {
        using var services = Build(("Sluice:Queue:Aging", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<InProcessQueueOptions>>().Value);

        Assert.Contains("Sluice:Queue:Aging = ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSluiceCore_DefaultsAndZeroBaseDelay_PassValidation()
    {
        using var services = Build(("Sluice:Retry:BaseDelay", "00:00:00"));

        Assert.Equal(TimeSpan.FromSeconds(60), services.GetRequiredService<IOptions<RetryOptions>>().Value.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), services.GetRequiredService<IOptions<InProcessQueueOptions>>().Value.Aging);
    }

    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var values = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSluiceCore();
        return services.BuildServiceProvider();
    }
}
