using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Memory;

namespace Sluice.Core.Tests.Memory;

/// <summary>The real trim: memory the GC kept committed after a peak goes back to the system.</summary>
[Collection(IdleMemoryTrimmerCollection.Name)]
public sealed class IdleMemoryTrimmerMemoryTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void TryTrim_IdleAfterAPeakOfGarbage_ReturnsItToTheSystem()
    {
        var trimmer = new IdleMemoryTrimmer(Options.Create(new MemoryOptions()), TimeProvider.System, NullLogger<IdleMemoryTrimmer>.Instance);
        var residentAtPeak = Peak();

        var returned = trimmer.TryTrim(0);

        Assert.True(residentAtPeak >= 256 * MiB, $"resident at the peak: {residentAtPeak / MiB} MiB");
        Assert.True(returned >= 128 * MiB, $"returned {returned / MiB} MiB of {residentAtPeak / MiB} MiB");
        Assert.True(Environment.WorkingSet <= residentAtPeak - (128 * MiB));
    }

    /// <summary>
    /// 256 MiB touched (so resident, not just reserved) and garbage once this returns: in a method of its own, so no
    /// local of the test's frame keeps it alive.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Peak()
    {
        var peak = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            var block = new byte[4 * MiB];
            Array.Fill(block, (byte)(i + 1));
            peak.Add(block);
        }

        return Environment.WorkingSet;
    }
}
