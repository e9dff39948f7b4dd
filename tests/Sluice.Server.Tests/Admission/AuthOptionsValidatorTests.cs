using System.Reflection;
using Microsoft.Extensions.Configuration;
using Sluice.Server.Admission;

namespace Sluice.Server.Tests.Admission;

public sealed class AuthOptionsValidatorTests
{
    private const string Hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

    public static TheoryData<string> KeySettings() => Properties(numbersOnly: false);

    public static TheoryData<string> NumberSettings() => Properties(numbersOnly: true);

    // A property added to ApiKeyOptions must be a setting an entry may have, or writing it stops the server at start.
    [Theory]
    [MemberData(nameof(KeySettings))]
    public void Validate_EachApiKeyOptionsSettingWritten_Succeeds(string setting)
    {
        var values = new Dictionary<string, string?> { ["Sluice:Auth:Keys:0:Id"] = "alice" };
        values["Sluice:Auth:Keys:0:" + (setting == nameof(ApiKeyOptions.Sha256) ? "Sha256" : "Key")] =
            setting == nameof(ApiKeyOptions.Sha256) ? Hash : "secret";
        values.TryAdd("Sluice:Auth:Keys:0:" + setting, ValueFor(setting));

        var result = Validate(values);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [MemberData(nameof(NumberSettings))]
    public void Validate_NumberSettingNotANumber_FailsNamingIt(string setting)
    {
        var result = Validate(new Dictionary<string, string?>
        {
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "secret",
            ["Sluice:Auth:Keys:0:" + setting] = "ten",
        });

        Assert.True(result.Failed);
        Assert.Contains($"Sluice:Auth:Keys:0:{setting} = 'ten' is not a number", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MisspelledSetting_FailsListingEverySetting()
    {
        var result = Validate(new Dictionary<string, string?>
        {
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "secret",
            ["Sluice:Auth:Keys:0:RequestPerSecond"] = "10",
        });

        Assert.True(result.Failed);
        Assert.Contains("Sluice:Auth:Keys:0:RequestPerSecond is not a key setting (expected Id, Key, Sha256, RequestsPerSecond, Burst, TokensPerMinute)",
            result.FailureMessage, StringComparison.Ordinal);
    }

    // Read here independently of the validator, so the tests do not take its list on trust.
    private static TheoryData<string> Properties(bool numbersOnly)
    {
        var data = new TheoryData<string>();
        foreach (var property in typeof(ApiKeyOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!numbersOnly || property.PropertyType == typeof(double))
            {
                data.Add(property.Name);
            }
        }

        return data;
    }

    private static string ValueFor(string setting) =>
        typeof(ApiKeyOptions).GetProperty(setting)!.PropertyType == typeof(double) ? "5" : "x";

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new AuthOptions();
        configuration.GetSection("Sluice:Auth").Bind(options);
        return new AuthOptionsValidator(configuration).Validate(null, options);
    }
}
