using System.Text.Json;
using Sluice.Backends.Streaming;

namespace Sluice.Backends.Tests.Streaming;

public sealed class GenerationInputReaderTests
{
    [Theory]
    [InlineData("max_tokens")]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_k")]
    [InlineData("seed")]
    [InlineData("stop")]
    [InlineData("user")]
    [InlineData("messages")]
    public void TryParse_OptionalFieldNull_SameAsLeftOut(string field)
    {
        using var given = JsonDocument.Parse($$"""{ "prompt": "Hi", "{{field}}": null }""");
        using var leftOut = JsonDocument.Parse("""{ "prompt": "Hi" }""");

        Assert.True(GenerationInputReader.TryParse(given.RootElement, out var request, out var error), error.Message);
        Assert.True(GenerationInputReader.TryParse(leftOut.RootElement, out var expected, out _));
        Assert.Equal(expected with { Stop = request!.Stop }, request);
        Assert.Empty(request.Stop);
    }

    [Theory]
    [InlineData("""{ "prompt": "Hi", "max_tokens": 5.0, "top_k": 40.0, "seed": 7.0 }""")]
    [InlineData("""{ "prompt": "Hi", "max_tokens": 5e0, "top_k": 4e1, "seed": 0.7e1 }""")]
    public void TryParse_IntegralNumbersWrittenWithFractionOrExponent_ReadAsIntegers(string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(GenerationInputReader.TryParse(doc.RootElement, out var request, out var error), error.Message);
        Assert.Equal(5, request!.MaxTokens);
        Assert.Equal(40, request.TopK);
        Assert.Equal(7UL, request.Seed);
    }

    [Theory]
    [InlineData("""{ "prompt": "", "messages": [{ "role": "user", "content": "Hi" }] }""")]
    [InlineData("""{ "messages": [{ "role": "user", "content": "Hi" }], "prompt": null }""")]
    public void TryParse_MessagesBesideAnEmptyOrNullPrompt_Accepted(string json)
    {
        // Nothing the client wrote is dropped, so only a prompt with text beside messages is refused.
        using var doc = JsonDocument.Parse(json);

        Assert.True(GenerationInputReader.TryParse(doc.RootElement, out var request, out var error), error.Message);
        Assert.Single(request!.Messages!);
    }

    [Theory]
    [InlineData("""{ "max_tokens": 1.5 }""", "input.max_tokens")]
    [InlineData("""{ "top_k": 2.5 }""", "input.top_k")]
    [InlineData("""{ "seed": 1.5 }""", "input.seed")]
    [InlineData("""{ "seed": -1 }""", "input.seed")]
    [InlineData("""{ "temperature": "hot" }""", "input.temperature")]
    [InlineData("""{ "user": 3 }""", "input.user")]
    [InlineData("""{ "stop": 5 }""", "input.stop")]
    public void TryParse_WrongTypeOrFraction_FailsNamingTheField(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(GenerationInputReader.TryParse(doc.RootElement, out _, out var error));
        Assert.Equal(field, error.Field);
    }
}
