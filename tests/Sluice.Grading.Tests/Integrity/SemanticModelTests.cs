using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Integrity;

public sealed class SemanticModelTests
{
    [Fact]
    public void Pack_EveryLevel_ReadBackUnchanged()
    {
        sbyte[] levels = [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7];

        var packed = SemanticModel.Pack(levels);

        Assert.Equal(8, packed.Length);
        Assert.Equal(levels.Select(l => (int)l), Enumerable.Range(0, levels.Length).Select(i => SemanticModel.Level(packed, i)));
    }

    [Fact]
    public void SentenceVectors_SentenceWithOnlyUnknownWords_ZeroAndCosineZero()
    {
        // Two words, two dimensions: "apple" along the first axis, "pear" along the second.
        var model = new SemanticModel { Words = ["apple", "pear"], Dimensions = 2, Vectors = SemanticModel.Pack([7, 0, 0, 7]), Weights = [20, 40] };
        var doc = Tokenizer.Analyze("An apple fell. The pear and the apple were ripe. Nothing else happened here.");

        var v = model.SentenceVectors(doc, 3);

        Assert.Equal(1, v[0][0], 5);
        Assert.Equal(0, v[0][1], 5);
        // Weighted sum: apple (idf 1) plus pear (idf 2).
        Assert.Equal(1, v[1][0], 5);
        Assert.Equal(2, v[1][1], 5);
        Assert.All(v[2], x => Assert.Equal(0, x));
        Assert.Equal(0, SemanticModel.Cosine(v[0], v[2]));
        Assert.Equal(1 / Math.Sqrt(5), SemanticModel.Cosine(v[0], v[1]), 5);
    }
}
