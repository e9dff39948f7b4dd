using System.Text.Json;
using Sluice.Grading.Serving;

namespace Sluice.Grading.Tests.Serving;

public sealed class EssayInputParserTests
{
    private static readonly GradingOptions s_options = new() { MaxWords = 1000 };

    private static (bool Ok, EssayInput? Input, Sluice.Core.Models.InputError Error) Parse(string json)
    {
        var ok = EssayInputParser.TryParse(JsonDocument.Parse(json).RootElement, s_options, out var input, out var error);
        return (ok, input, error);
    }

    [Fact]
    public void TryParse_ValidInput_ReturnsFields()
    {
        var (ok, input, _) = Parse("""{ "prompt_id": 3, "prompt_text": "Explain the setting.", "text": "The setting matters." }""");

        Assert.True(ok);
        Assert.Equal(new EssayInput("The setting matters.", 3, "Explain the setting."), input);
    }

    [Theory]
    [InlineData("3.0")]
    [InlineData("3e0")]
    [InlineData("30e-1")]
    public void TryParse_PromptIdWrittenWithFraction_ReadByValue(string written)
    {
        // Integer fields are read by value everywhere in the API (docs/api.md): Python's 3.0 is prompt 3.
        var (ok, input, _) = Parse("{ \"prompt_id\": " + written + ", \"text\": \"Some essay.\" }");

        Assert.True(ok);
        Assert.Equal(3, input!.PromptId);
    }

    [Fact]
    public void TryParse_NullPrompt_IsPromptIndependent()
    {
        var (ok, input, _) = Parse("""{ "prompt_id": null, "text": "Some essay." }""");

        Assert.True(ok);
        Assert.Null(input!.PromptId);
    }

    [Theory]
    [InlineData("""{ "prompt_id": 1 }""", "input.text")]
    [InlineData("""{ "text": "" }""", "input.text")]
    [InlineData("""{ "text": "   \n\t " }""", "input.text")]
    [InlineData("""{ "text": 42 }""", "input.text")]
    [InlineData("""{ "text": "ok", "prompt_id": 9 }""", "input.prompt_id")]
    [InlineData("""{ "text": "ok", "prompt_id": 0 }""", "input.prompt_id")]
    [InlineData("""{ "text": "ok", "prompt_id": 2.5 }""", "input.prompt_id")]
    [InlineData("""{ "text": "ok", "prompt_id": "1" }""", "input.prompt_id")]
    [InlineData("""{ "text": "ok", "prompt_text": 5 }""", "input.prompt_text")]
    [InlineData("""{ "text": "ok", "rubric": "x" }""", "input.rubric")]
    [InlineData("""[ "text" ]""", "input")]
    [InlineData("\"just a string\"", "input")]
    public void TryParse_BadInput_NamesTheField(string json, string field)
    {
        var (ok, input, error) = Parse(json);

        Assert.False(ok);
        Assert.Null(input);
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void TryParse_TooManyWords_RefusedWithLimitInMessage()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 1001));

        var (ok, _, error) = Parse(JsonSerializer.Serialize(new { text }));

        Assert.False(ok);
        Assert.Equal("input.text", error.Field);
        Assert.Contains("has 1,001 words", error.Message);
        Assert.Contains("at most 1,000", error.Message);
    }

    [Fact]
    public void TryParse_FewWordsButOverTheCharacterBound_MessageCountsCharactersNotWords()
    {
        // 500 "words" of 100 letters each: within the word limit, over 40 characters per word of it.
        var text = string.Join(' ', Enumerable.Repeat(new string('a', 100), 500));

        var (ok, _, error) = Parse(JsonSerializer.Serialize(new { text }));

        Assert.False(ok);
        Assert.Equal("input.text", error.Field);
        Assert.Contains("50,499 characters", error.Message);
        Assert.Contains("at most 40,000", error.Message);
        Assert.DoesNotContain("longer than 1,000 words", error.Message);
    }
}
