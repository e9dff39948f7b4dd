using Sluice.Grading.Integrity;

namespace Sluice.Grading.Tests.Integrity;

public sealed class KeyHashTests
{
    /// <summary>The committed model stores weights by slot, so the hash of a key must never change between processes or releases.</summary>
    [Fact]
    public void Slot_KnownKeys_SameSlotsAsWhenTheModelWasTrained()
    {
        Assert.Equal(7731, KeyHash.Slot("ff|first|second", 8192));
        Assert.Equal(10676, KeyHash.Slot("sd|at", 16384));
    }

    [Fact]
    public void Slot_ManyKeys_InRangeAndSpread()
    {
        var slots = Enumerable.Range(0, 4096).Select(i => KeyHash.Slot("w|key" + i, 1024)).ToArray();

        Assert.All(slots, s => Assert.InRange(s, 0, 1023));
        // 4,096 keys into 1,024 slots leave about 1.8 % of the slots empty when the hash spreads them well.
        Assert.True(slots.Distinct().Count() > 950, $"only {slots.Distinct().Count()} of 1,024 slots used");
    }
}
