using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Training;

public sealed class QwkTests
{
    [Fact]
    public void Compute_PerfectAgreement_IsOne()
    {
        int[] a = [1, 2, 3, 4, 2];

        Assert.Equal(1.0, Qwk.Compute(a, a, 1, 4), 9);
    }

    [Fact]
    public void Compute_KnownExample_MatchesReference()
    {
        // Worked by hand: observed weighted disagreement 2/9 over expected 62/45, so 1 - 10/62 = 26/31.
        Assert.Equal(26.0 / 31.0, Qwk.Compute([1, 2, 3, 4, 3], [1, 2, 4, 4, 2], 1, 4), 9);
    }

    [Fact]
    public void Compute_Reversed_IsNegative()
    {
        Assert.True(Qwk.Compute([0, 1, 2, 3], [3, 2, 1, 0], 0, 3) < 0);
    }
}
