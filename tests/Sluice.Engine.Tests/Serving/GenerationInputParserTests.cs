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
    [InlineData("""{ "top_k": 2.5 }""", "input.top_k")]
    [InlineData("""{ "seed": 1.5 }""", "input.seed")]
    [InlineData("""{ "seed": 1e20 }""", "input.seed")]
    [InlineData("""{ "max_tokens": 3e9 }""", "input.max_tokens")]
    [InlineData("""{ "temperature": "0" }""", "input.temperature")]
    [InlineData("""{ "top_p": true }""", "input.top_p")]
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

    [Theory]
    [InlineData("prompt")]
    [InlineData("max_tokens")]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_k")]
    [InlineData("seed")]
    [InlineData("stop")]
    public void TryParse_OptionalFieldNull_SameAsLeftOut(string field)
    {
        using var given = JsonDocument.Parse(field == "prompt" ? """{ "prompt": null }""" : $$"""{ "prompt": "Hi", "{{field}}": null }""");
        using var leftOut = JsonDocument.Parse(field == "prompt" ? "{}" : """{ "prompt": "Hi" }""");

        Assert.True(GenerationInputParser.TryParse(given.RootElement, out var request, out var error), error.Message);
        Assert.True(GenerationInputParser.TryParse(leftOut.RootElement, out var expected, out _));
        Assert.Equal(expected with { Stop = request!.Stop }, request);
        Assert.Empty(request.Stop);
    }

    [Theory]
    [InlineData("""{ "max_tokens": 5.0, "top_k": 40.0, "seed": 7.0 }""")]
    [InlineData("""{ "max_tokens": 5e0, "top_k": 4e1, "seed": 7E0 }""")]
    [InlineData("""{ "max_tokens": 50e-1, "top_k": 400e-1, "seed": 0.7e1 }""")]
    public void TryParse_IntegralNumbersWrittenWithFractionOrExponent_ReadAsIntegers(string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(GenerationInputParser.TryParse(doc.RootElement, out var request, out var error), error.Message);
        Assert.Equal(5, request!.MaxTokens);
        Assert.Equal(40, request.TopK);
        Assert.Equal(7UL, request.Seed);
    }
}
