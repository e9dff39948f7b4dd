using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sluice.Postgres.Tests;

/// <summary>The <c>Sluice:Store</c> settings as the server binds them: a value that cannot work stops the start.</summary>
public sealed class PostgresStoreOptionsTests
{
    [Theory]
    [InlineData("-00:00:05")]
    [InlineData("00:00:00")]
    [InlineData("25.00:00:00")]
    public void AddSluicePostgresStore_StartTimeoutOutOfRange_FailsValidationNamingTheSetting(string value)
    {
        using var services = Build(("Sluice:Store:StartTimeout", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value);

        Assert.Contains("Sluice:Store:StartTimeout must be above 00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1.00:00:00")]
    [InlineData("00:00:00")]
    [InlineData("1.00:00:01")]
    [InlineData("10000000.00:00:00")]
    public void AddSluicePostgresStore_IdempotencyRetentionOutOfRange_FailsValidationNamingTheSetting(string value)
    {
        using var services = Build(("Sluice:Store:IdempotencyRetention", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value);

        Assert.Contains("Sluice:Store:IdempotencyRetention must be above 00:00:00 and at most 1.00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-7.00:00:00")]
    [InlineData("23:59:59")]
    [InlineData("3650.00:00:01")]
    public void AddSluicePostgresStore_JobRetentionOutOfRange_FailsValidationNamingTheSetting(string value)
    {
        using var services = Build(("Sluice:Store:JobRetention", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value);

        Assert.Contains("Sluice:Store:JobRetention must be at least 1.00:00:00 and at most 3650.00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSluicePostgresStore_Defaults_PassValidation()
    {
        using var services = Build();

        Assert.Equal(TimeSpan.FromSeconds(60), services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value.StartTimeout);
        Assert.Equal(TimeSpan.FromDays(7), services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value.JobRetention);
    }

    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Sluice:Store:Url"] = "postgres://sluice:sluice@127.0.0.1:5432/sluice" };
        foreach (var (k, v) in settings)
        {
            values[k] = v;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSluicePostgresStore();
        return services.BuildServiceProvider();
    }
}
