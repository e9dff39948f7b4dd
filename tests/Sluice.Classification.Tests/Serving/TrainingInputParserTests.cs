using System.Text.Json;
using Sluice.Classification.Serving;

namespace Sluice.Classification.Tests.Serving;

public sealed class TrainingInputParserTests
{
    private static readonly string s_root = Path.Combine(Path.GetTempPath(), "sluice-roots", "train");
    private static readonly ClassificationOptions s_options = new();

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../../etc")]
    [InlineData("{root}/../elsewhere.txt")]
    [InlineData("{root}-sibling/data.txt")]
    public void TryParse_DataPathOutsideRoots_FieldIsDataPath(string path)
    {
        var error = Refuse($$"""{"model_type":"text-classifier","data_path":{{JsonSerializer.Serialize(path.Replace("{root}", s_root, StringComparison.Ordinal))}},"epochs":3}""");

        Assert.Equal("input.data_path", error.Field);
        Assert.Contains("outside the training roots", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data_path":"x","epochs":3}""", "input.model_type")]
    [InlineData("""{"model_type":"resnet50","data_path":"x","epochs":3}""", "input.model_type")]
    [InlineData("""{"model_type":"text-classifier","epochs":3}""", "input.data_path")]
    [InlineData("""{"model_type":"text-classifier","data_path":"x"}""", "input.epochs")]
    [InlineData("""{"model_type":"text-classifier","data_path":"x","epochs":0}""", "input.epochs")]
    [InlineData("""{"model_type":"text-classifier","data_path":"x","epochs":"3"}""", "input.epochs")]
    [InlineData("""{"model_type":"text-classifier","data_path":"x","epochs":3,"target":"other"}""", "input.target")]
    [InlineData("""{"model_type":"text-classifier","data_path":"x","epochs":3,"lr":1}""", "input.lr")]
    [InlineData("""[1]""", "input")]
    public void TryParse_BadField_NamesIt(string json, string field) => Assert.Equal(field, Refuse(json).Field);

    [Fact]
    public void TryParse_SeedFieldsUnderRoot_FullPathAndTargetDefaulted()
    {
        var ok = TrainingInputParser.TryParse(JsonDocument.Parse($$"""{"task_id":"train_001","model_type":"text-classifier","data_path":{{JsonSerializer.Serialize(s_root + "/sub/../yelp.txt")}},"epochs":10}""").RootElement, s_options, [s_root], out var parsed, out _);

        Assert.True(ok);
        Assert.Equal(new TrainingInput("text-classifier", Path.Combine(s_root, "yelp.txt"), 10, "text-classifier", "train_001"), parsed);
    }

    [Theory]
    [InlineData("link.txt")]
    [InlineData("dir-link/secret.txt")]
    [InlineData("dir-link/../secret.txt")]
    public void TryParse_SymlinkBelowRootLeadsOutside_RefusedNamingDataPath(string below)
    {
        using var dirs = new LinkedFolders();

        var ok = TrainingInputParser.TryParse(TrainJson(Path.Combine(dirs.Root, below)), s_options, [dirs.Root], out _, out var error);

        Assert.False(ok);
        Assert.Equal("input.data_path", error.Field);
        Assert.Contains("outside the training roots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_SymlinkBelowRootLeadsInsideIt_AcceptedAsItsTarget()
    {
        using var dirs = new LinkedFolders();

        var ok = TrainingInputParser.TryParse(TrainJson(Path.Combine(dirs.Root, "inside-link.txt")), s_options, [dirs.Root], out var parsed, out _);

        Assert.True(ok);
        Assert.Equal(Path.Combine(dirs.Root, "data.txt"), parsed!.DataPath);
    }

    [Fact]
    public void TryParse_DataPathOutsideRoots_MessageShowsRootsRelativeToTheWorkingFolderNotAbsolute()
    {
        var root = Path.Combine(Directory.GetCurrentDirectory(), "training-root");

        var ok = TrainingInputParser.TryParse(TrainJson("/etc/passwd"), s_options, [root], out _, out var error);

        Assert.False(ok);
        Assert.Contains("(training-root)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetCurrentDirectory(), error.Message, StringComparison.Ordinal);
    }

    private static JsonElement TrainJson(string path) =>
        JsonDocument.Parse($$"""{"model_type":"text-classifier","data_path":{{JsonSerializer.Serialize(path)}},"epochs":3}""").RootElement;

    private static Sluice.Core.Models.InputError Refuse(string json)
    {
        var ok = TrainingInputParser.TryParse(JsonDocument.Parse(json).RootElement, s_options, [s_root], out _, out var error);
        Assert.False(ok);
        return error;
    }
}
