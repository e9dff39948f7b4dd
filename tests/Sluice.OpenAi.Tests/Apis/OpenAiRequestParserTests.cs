using System.Text.Json;
using Sluice.Server.Apis;

namespace Sluice.OpenAi.Tests.Apis;

public sealed class OpenAiRequestParserTests
{
    [Theory]
    [InlineData("""{ "model": "m", "prompt": "x", "max_tokens": 5.0, "seed": 7.0, "n": 1.0, "best_of": 1e0 }""")]
    [InlineData("""{ "model": "m", "prompt": "x", "max_completion_tokens": 5e0, "seed": 0.7e1, "n": 10e-1 }""")]
    [InlineData("""{ "model": "m", "prompt": "x", "max_tokens": 5, "max_completion_tokens": 5.0, "seed": 7 }""")]
    public void TryParse_IntegralNumbersWrittenWithFractionOrExponent_ReadAsIntegers(string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(OpenAiRequestParser.TryParse(doc.RootElement, chat: false, out var request, out var error, out _), error);
        Assert.Equal(5, request!.MaxTokens);
        Assert.Equal(7UL, request.Seed);
    }

    [Theory]
    [InlineData("max_tokens", "1.5")]
    [InlineData("max_completion_tokens", "2.5")]
    [InlineData("seed", "1.5")]
    [InlineData("seed", "-1.0")]
    [InlineData("n", "1.5")]
    [InlineData("n", "2.0")]
    [InlineData("best_of", "1.000001")]
    public void TryParse_FractionalOrWrongInteger_RefusedNamingTheParameter(string param, string value)
    {
        using var doc = JsonDocument.Parse($$"""{ "model": "m", "prompt": "x", "{{param}}": {{value}} }""");

        Assert.False(OpenAiRequestParser.TryParse(doc.RootElement, chat: false, out _, out var error, out var named));
        Assert.Equal(param, named);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("seed")]
    [InlineData("stop")]
    [InlineData("user")]
    [InlineData("stream")]
    [InlineData("stream_options")]
    [InlineData("n")]
    [InlineData("best_of")]
    [InlineData("frequency_penalty")]
    [InlineData("presence_penalty")]
    [InlineData("logprobs")]
    [InlineData("logit_bias")]
    [InlineData("response_format")]
    [InlineData("tools")]
    public void TryParse_OptionalParameterNull_SameAsLeftOut(string param)
    {
        using var given = JsonDocument.Parse($$"""{ "model": "m", "prompt": "x", "{{param}}": null }""");
        using var leftOut = JsonDocument.Parse("""{ "model": "m", "prompt": "x" }""");

        Assert.True(OpenAiRequestParser.TryParse(given.RootElement, chat: false, out var request, out var error, out _), error);
        Assert.True(OpenAiRequestParser.TryParse(leftOut.RootElement, chat: false, out var expected, out _, out _));
        Assert.Equal(expected with { Stop = request!.Stop }, request);
        Assert.Empty(request.Stop);
    }
}
