using Sluice.Grading.Spelling;

namespace Sluice.Grading.Tests.Spelling;

public sealed class EditDistanceTests
{
    [Theory]
    [InlineData("the", "the", 0)]
    [InlineData("teh", "the", 1)]
    [InlineData("recieve", "receive", 1)]
    [InlineData("lern", "learn", 1)]
    [InlineData("kitten", "sitting", 3)]
    public void Compute_KnownPairs_ReturnsDistance(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.Compute(a, b, 5));
    }

    [Fact]
    public void Compute_BeyondBound_ReturnsBoundPlusOne()
    {
        Assert.Equal(3, EditDistance.Compute("abcdef", "uvwxyz", 2));
    }
}
