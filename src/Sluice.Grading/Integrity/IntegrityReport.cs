namespace Sluice.Grading.Integrity;

/// <summary>Flags raised for an essay and the text the score is computed from (the essay minus gaming material).</summary>
internal sealed record IntegrityReport(IReadOnlyList<IntegrityFlag> Flags, string ScoringText, bool Cleaned)
{
    public bool ForceMinimum => Flags.Any(f => f.Effect == FlagEffect.Minimum);

    public bool Penalised => Flags.Any(f => f.Effect == FlagEffect.Penalty);

    public bool Capped => Flags.Any(f => f.Effect == FlagEffect.Cap);
}
