using System.Text.Json;
using Sluice.Core.Models;
using Sluice.Engine.Serving;

namespace Sluice.Engine.Tests.Serving;

public sealed class GenerationInputParserTests
{
    [Theory]
    [InlineData("""{ "max_tokens": "ten" }""", "input.max_tokens")]
    [InlineData("""{ "max_tokens": 0 }""", "input.max_tokens")]
    [InlineData("""{ "max_tokens": 1.5 }""", "input.max_tokens")]
    [InlineData("""{ "prompt": 3 }""", "input.prompt")]
    [InlineData("""{ "temperature": -1 }""", "input.temperature")]
    [InlineData("""{ "top_p": 0 }""", "input.top_p")]
    [InlineData("""{ "top_p": 1.5 }""", "input.top_p")]
    [InlineData("""{ "top_k": -2 }""", "input.top_k")]
    [InlineData("""{ "seed": "x" }""", "input.seed")]
    [InlineData("""{ "seed": -1 }""", "input.seed")]
    [InlineData("""{ "seed": 18446744073709551616 }""", "input.seed")]
    [InlineData("""{ "stop": 5 }""", "input.stop")]
    [InlineData("""{ "stop": ["ok", 3] }""", "input.stop[1]")]
    [InlineData("""{ "stop": [""] }""", "input.stop[0]")]
    [InlineData("""{ "prompt": "x", "max_token": 5 }""", "input.max_token")]
    [InlineData("""[1, 2]""", "input")]
    public void TryParse_WrongInput_FailsNamingTheField(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(GenerationInputParser.TryParse(doc.RootElement, out var request, out var error));
        Assert.Null(request);
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void TryParse_EmptyObject_Defaults()
    {
        using var doc = JsonDocument.Parse("{}");

        Assert.True(GenerationInputParser.TryParse(doc.RootElement, out var request, out _));
        Assert.Equal("", request!.Prompt);
        Assert.Equal(256, request.MaxTokens);
        Assert.Equal(0f, request.Temperature);
        Assert.Null(request.Seed);
    }

    [Fact]
    public void TryParse_StopAsString_SingleStop()
    {
        using var doc = JsonDocument.Parse("""{ "stop": "END", "seed": null }""");

        Assert.True(GenerationInputParser.TryParse(doc.RootElement, out var request, out _));
        Assert.Equal(["END"], request!.Stop);
    }

    [Theory]
    [InlineData(9223372036854775808UL)]
    [InlineData(ulong.MaxValue)]
    public void TryParse_JournaledSeedAboveInt64_ReadsTheSameSeed(ulong seed)
    {
        // The OpenAI endpoints accept any non-negative seed and journal it so; a recovered job parses it again.
        var journaled = GenerationJson.InputUtf8(new GenerationRequest { Prompt = "Hi", MaxTokens = 5, Temperature = 1f, Seed = seed });
        using var doc = JsonDocument.Parse(journaled);

        Assert.True(GenerationInputParser.TryParse(doc.RootElement, out var request, out var error), error.Message);
        Assert.Equal(seed, request!.Seed);
    }
}
