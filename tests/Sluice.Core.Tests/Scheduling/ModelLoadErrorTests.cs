using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Scheduling;

/// <summary>What a client is shown of a load failure: absolute paths cut to their file names, nothing else changed.</summary>
public sealed class ModelLoadErrorTests
{
    [Theory]
    [InlineData("grading model file not found: /srv/sluice/models/grader.model", "grading model file not found: grader.model")]
    [InlineData("Sluice:Grading:ModelPath = '/tmp/a b/x.model': missing", "Sluice:Grading:ModelPath = 'x.model': missing")]
    [InlineData("/data/m.gguf: at offset 12: truncated", "m.gguf: at offset 12: truncated")]
    [InlineData("copy /a/b/x to /c/d/y", "copy x to y")]
    [InlineData(@"C:\models\sub\m.gguf is empty", "m.gguf is empty")]
    [InlineData("no answer from http://host:11434/api/tags", "no answer from http://host:11434/api/tags")]
    [InlineData("relative models/m.gguf and ./data/x", "relative models/m.gguf and ./data/x")]
    [InlineData("at offset 12: 3/4 of the tensors", "at offset 12: 3/4 of the tensors")]
    public void WithoutFolders_Message_CutsAbsolutePathsToFileNames(string message, string expected) =>
        Assert.Equal(expected, ModelLoadError.WithoutFolders(message));

    [Fact]
    public void Describe_Exception_TypeAndMessageWithoutFolders() =>
        Assert.Equal("FileNotFoundException: not found: x.bin", ModelLoadError.Describe(new FileNotFoundException("not found: /opt/m/x.bin")));
}
