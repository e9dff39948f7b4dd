using System.Runtime.InteropServices;

namespace Sluice.Bench.Reporting;

/// <summary>Where the run happened.</summary>
internal sealed record MachineInfo
{
    public required int ProcessorCount { get; init; }

    public required string Os { get; init; }

    public required string Runtime { get; init; }

    public required string Architecture { get; init; }

    /// <summary>Total memory the runtime sees, MiB.</summary>
    public required long MemoryMiB { get; init; }

    public static MachineInfo Current() => new()
    {
        ProcessorCount = Environment.ProcessorCount,
        Os = RuntimeInformation.OSDescription,
        Runtime = RuntimeInformation.FrameworkDescription,
        Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
        MemoryMiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024),
    };
}
