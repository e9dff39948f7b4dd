using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Core.Tests.Models;

public sealed class JsonIntegerTests
{
    [Theory]
    [InlineData("1", 1)]
    [InlineData("1.0", 1)]
    [InlineData("1e0", 1)]
    [InlineData("1E+0", 1)]
    [InlineData("10e-1", 1)]
    [InlineData("0.5e1", 5)]
    [InlineData("2.50e1", 25)]
    [InlineData("1e3", 1000)]
    [InlineData("-3.000", -3)]
    [InlineData("-0.0", 0)]
    [InlineData("2147483647.0", int.MaxValue)]
    [InlineData("-2147483648.0", int.MinValue)]
    public void TryGetInt32_IntegralValueInAnySpelling_ReadsTheValue(string json, int expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(JsonInteger.TryGetInt32(doc.RootElement, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e-1")]
    [InlineData("0.000001")]
    [InlineData("1.00000000000000000000000000001")]
    [InlineData("2147483648")]
    [InlineData("2147483648.0")]
    [InlineData("-2147483649")]
    [InlineData("1e10")]
    [InlineData("1e400")]
    [InlineData("\"1\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void TryGetInt32_FractionOutOfRangeOrNotANumber_False(string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(JsonInteger.TryGetInt32(doc.RootElement, out _));
    }

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("7.0", 7UL)]
    [InlineData("-0", 0UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("18446744073709551615.000", ulong.MaxValue)]
    [InlineData("1.8446744073709551615e19", ulong.MaxValue)]
    [InlineData("9223372036854775808.0", 9223372036854775808UL)]
    public void TryGetUInt64_IntegralValueInAnySpelling_ReadsTheExactValue(string json, ulong expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(JsonInteger.TryGetUInt64(doc.RootElement, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-1.0")]
    [InlineData("2.5")]
    [InlineData("18446744073709551616")]
    [InlineData("1.8446744073709551616e19")]
    [InlineData("1e20")]
    public void TryGetUInt64_NegativeFractionOrTooLarge_False(string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(JsonInteger.TryGetUInt64(doc.RootElement, out _));
    }
}
