using System.Text.Json;
using Sluice.Core.Caching;

namespace Sluice.Core.Tests.Caching;

public sealed class CacheKeysTests
{
    private static JsonElement J(string s) => JsonDocument.Parse(s).RootElement;

    [Fact]
    public void For_ReorderedKeysAndWhitespace_SameKey() =>
        Assert.Equal(CacheKeys.For("m", "1", J("{\"a\":1,\"b\":[1,2]}")), CacheKeys.For("m", "1", J("{ \"b\" : [1, 2], \"a\": 1 }")));

    [Theory]
    [InlineData("m", "2", "{\"a\":1}")]
    [InlineData("other", "1", "{\"a\":1}")]
    [InlineData("m", "1", "{\"a\":2}")]
    [InlineData("m", "1", "{\"a\":[1]}")]
    public void For_DifferentModelVersionOrInput_DifferentKey(string model, string version, string input) =>
        Assert.NotEqual(CacheKeys.For("m", "1", J("{\"a\":1}")), CacheKeys.For(model, version, J(input)));

    [Fact]
    public void For_DifferentOwner_DifferentKey() =>
        Assert.NotEqual(CacheKeys.For("m", "1", J("{\"a\":1}"), "alice"), CacheKeys.For("m", "1", J("{\"a\":1}"), "bob"));

    [Fact]
    public void For_OwnerOrNone_DifferentKey() =>
        Assert.NotEqual(CacheKeys.For("m", "1", J("{\"a\":1}"), "alice"), CacheKeys.For("m", "1", J("{\"a\":1}")));

    [Fact]
    public void BodyHash_SameBodyOtherEndpoint_DifferentHash() =>
        Assert.NotEqual(CacheKeys.BodyHash("POST /v1/tasks/codegen", J("{\"input\":{}}")), CacheKeys.BodyHash("POST /v1/tasks/blog-outline", J("{\"input\":{}}")));

    [Fact]
    public void LegacyBodyHash_IsTheNormalisedBodyAloneAsKeysWereStoredBefore()
    {
        // What BodyHash was before it covered the endpoint: SHA-256 of the normalised body, nothing else.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("{\"input\":{\"a\":1},\"model\":\"m\"}"u8));

        Assert.Equal(expected, CacheKeys.LegacyBodyHash(J("{ \"model\": \"m\", \"priority\": null, \"input\": {\"a\": 1} }"), "priority"));
        Assert.NotEqual(expected, CacheKeys.BodyHash("POST /v1/jobs", J("{\"model\":\"m\",\"input\":{\"a\":1}}")));
    }

    [Fact]
    public void BodyHash_NamedTopLevelFieldNull_SameAsLeftOut() =>
        Assert.Equal(CacheKeys.BodyHash("POST /v1/jobs", J("{\"model\":\"m\",\"input\":{}}"), "priority"), CacheKeys.BodyHash("POST /v1/jobs", J("{\"priority\":null,\"model\":\"m\",\"input\":{}}"), "priority"));

    [Theory]
    [InlineData("{\"model\":\"m\",\"input\":{\"priority\":null}}")]
    [InlineData("{\"model\":\"m\",\"input\":{},\"other\":null}")]
    [InlineData("{\"model\":\"m\",\"input\":{},\"priority\":\"high\"}")]
    public void BodyHash_NullNestedOrNotNamedOrNotNull_StillCounts(string body) =>
        Assert.NotEqual(CacheKeys.BodyHash("POST /v1/jobs", J("{\"model\":\"m\",\"input\":{}}"), "priority"), CacheKeys.BodyHash("POST /v1/jobs", J(body), "priority"));

    [Fact]
    public void For_NestedInput_HashOfTheSortedCompactArray()
    {
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("[\"m\",\"1\",{\"a\":[{\"x\":1,\"y\":2}],\"b\":{\"c\":\"\\n\",\"d\":1.5}},\"own\"]"u8));
        var input = J("{ \"b\": {\"d\": 1.50, \"c\": \"\\n\"}, \"a\": [ {\"y\":2, \"x\":1} ] }");

        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
        // Again on this thread, after a body larger than the buffer a thread keeps: the same key.
        CacheKeys.BodyHash("POST /v1/jobs", J("{\"input\":\"" + new string('x', 100_000) + "\"}"));
        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
    }

    [Theory]
    [InlineData("{\"a\":1}", "{\"a\":1.0}")]
    [InlineData("{\"a\":1}", "{\"a\":1e0}")]
    [InlineData("{\"a\":1}", "{\"a\":10E-1}")]
    [InlineData("{\"a\":0}", "{\"a\":-0.0e5}")]
    [InlineData("{\"a\":0.007}", "{\"a\":7e-3}")]
    [InlineData("{\"a\":-12.34}", "{\"a\":-1234e-2}")]
    [InlineData("{\"a\":1e30}", "{\"a\":1000000000000000000000000000000}")]
    [InlineData("{\"a\":1,\"b\":null}", "{\"a\":1}")]
    [InlineData("{\"a\":{\"b\":null,\"c\":[{\"d\":null}]}}", "{\"a\":{\"c\":[{}]}}")]
    [InlineData("{\"b\":2,\"a\":1}", "{\"a\":1,\"b\":2}")]
    public void For_SameValueSpeltDifferently_SameKey(string a, string b) =>
        Assert.Equal(CacheKeys.For("m", "1", J(a)), CacheKeys.For("m", "1", J(b)));

    [Theory]
    [InlineData("{\"a\":18446744073709551615}", "{\"a\":18446744073709551614}")]
    [InlineData("{\"a\":9007199254740993}", "{\"a\":9007199254740992}")]
    [InlineData("{\"a\":0.1}", "{\"a\":0.10000000000000001}")]
    [InlineData("{\"a\":1}", "{\"a\":10}")]
    [InlineData("{\"a\":1}", "{\"a\":\"1\"}")]
    [InlineData("{\"a\":[null]}", "{\"a\":[]}")]
    [InlineData("{\"a\":null}", "{\"a\":false}")]
    [InlineData("{\"a\":1e400}", "{\"a\":1e401}")]
    public void For_OtherValue_DifferentKey(string a, string b) =>
        Assert.NotEqual(CacheKeys.For("m", "1", J(a)), CacheKeys.For("m", "1", J(b)));

    [Theory]
    [InlineData("3", "3")]
    [InlineData("-3.50", "-3.5")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("123456789012345678901", "123456789012345678901")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e21", "1e21")]
    [InlineData("-120e-3", "-0.12")]
    [InlineData("1e0000000001", "10")]
    public void TryFormat_Number_CanonicalSpelling(string number, string expected)
    {
        Span<byte> output = stackalloc byte[128];

        Assert.True(CanonicalNumber.TryFormat(System.Text.Encoding.UTF8.GetBytes(number), output, out var written));

        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(output[..written]));
    }

    [Fact]
    public void BodyHash_NumbersAsWritten_IdempotencyHashesStoredBeforeStillMatch() =>
        Assert.NotEqual(CacheKeys.BodyHash("POST /v1/jobs", J("{\"input\":{\"n\":1}}")), CacheKeys.BodyHash("POST /v1/jobs", J("{\"input\":{\"n\":1.0}}")));
}
