using Sluice.Core.Models;

namespace Sluice.Core.Tests.Models;

public sealed class ControlCharactersTests
{
    [Theory]
    [InlineData("plain text")]
    [InlineData("tab\there, lines\r\nand\n")]
    [InlineData("page one\fpage two\u000Bthree")]
    [InlineData("")]
    public void TryCheck_WhitespaceControlsOnly_Accepted(string text)
    {
        Assert.True(ControlCharacters.TryCheck(text, "input.x", out _));
    }

    [Theory]
    [InlineData("nul\0here", 3, "U+0000")]
    [InlineData("\u001B[31mred", 0, "U+001B")]
    [InlineData("back\bspace", 4, "U+0008")]
    [InlineData("del\u007F", 3, "U+007F")]
    public void TryCheck_OtherControlCharacter_ErrorNamesFieldCharacterAndIndex(string text, int index, string character)
    {
        Assert.False(ControlCharacters.TryCheck(text, "input.x", out var error));

        Assert.Equal("input.x", error.Field);
        Assert.Contains(character, error.Message, StringComparison.Ordinal);
        Assert.Contains($"index {index}", error.Message, StringComparison.Ordinal);
    }
}
