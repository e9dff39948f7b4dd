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
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("[\"m\",\"1\",{\"a\":[{\"x\":1,\"y\":2}],\"b\":{\"c\":\"\\n\",\"d\":1.50}},\"own\"]"u8));
        var input = J("{ \"b\": {\"d\": 1.50, \"c\": \"\\n\"}, \"a\": [ {\"y\":2, \"x\":1} ] }");

        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
        // Again on this thread, after a body larger than the buffer a thread keeps: the same key.
        CacheKeys.BodyHash("POST /v1/jobs", J("{\"input\":\"" + new string('x', 100_000) + "\"}"));
        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
        Assert.Equal(expected, CacheKeys.For("m", "1", input, "own"));
    }
}
