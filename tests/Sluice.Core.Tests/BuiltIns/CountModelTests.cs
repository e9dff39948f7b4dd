using System.Text.Json;
using Sluice.Core.BuiltIns;

namespace Sluice.Core.Tests.BuiltIns;

public sealed class CountModelTests
{
    private static readonly CountModel Model = new(TimeProvider.System, 0);

    [Theory]
    [InlineData("""{"n":7}""", 7)]
    [InlineData("""{}""", 10)]
    [InlineData("""{"n":2.0}""", 2)]
    [InlineData("""{"n":1e1}""", 10)]
    [InlineData("""{"max_tokens":3.0}""", 3)]
    [InlineData("""{"n":null}""", 10)]
    [InlineData("""{"n":4,"max_tokens":null}""", 4)]
    [InlineData("""{"prompt":"count","max_tokens":5,"temperature":0,"stop":["x"]}""", 5)]
    [InlineData("""{"messages":[{"role":"user","content":"count"}],"max_tokens":3,"temperature":0.7,"top_p":0.9,"seed":4,"user":"u"}""", 3)]
    public void TryParseInput_CountOrJournaledGenerationRequest_CountsToTheLimit(string json, int expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(Model.TryParseInput(doc.RootElement, out var request, out var error), error.Message);
        Assert.Equal(expected, request.MaxTokens);
    }

    [Theory]
    [InlineData("""{"m":1}""", "input.m")]
    [InlineData("""{"n":0}""", "input.n")]
    [InlineData("""{"n":1.5}""", "input.n")]
    [InlineData("""{"max_tokens":2.5}""", "input.max_tokens")]
    [InlineData("""{"max_tokens":"5"}""", "input.max_tokens")]
    [InlineData("""[1]""", "input")]
    [InlineData("""{"n":3,"max_tokens":4}""", "input.max_tokens")]
    public void TryParseInput_BadInput_NamesTheField(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(Model.TryParseInput(doc.RootElement, out _, out var error));
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(CountModel.MaxN + 1)]
    public void TryValidate_LimitOutOfRange_RefusedAsTheJournaledInputWouldBe(int maxTokens)
    {
        Assert.False(Model.TryValidate(new Sluice.Core.Models.GenerationRequest { MaxTokens = maxTokens }, out var error));
        Assert.Equal("input.max_tokens", error.Field);
    }
}
