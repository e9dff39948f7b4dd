using System.ComponentModel.DataAnnotations;

namespace Sluice.Core.BuiltIns;

/// <summary>Options of the built-in test models (section <c>Sluice:BuiltIns</c>).</summary>
public sealed class BuiltInOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:BuiltIns";

    /// <summary>Registers echo, sleep-batch and count.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Fixed cost a of one sleep-batch batch, in milliseconds.</summary>
    [Range(0, 60_000)]
    public double SleepBatchBaseMs { get; set; } = 20;

    /// <summary>Per-item cost b of sleep-batch, in milliseconds.</summary>
    [Range(0, 60_000)]
    public double SleepBatchPerItemMs { get; set; } = 1;

    /// <summary>Duration of one step of the count model, in milliseconds.</summary>
    [Range(0, 60_000)]
    public double CountStepMs { get; set; } = 10;
}
