namespace Sluice.Grading.Integrity;

/// <summary>What a flag does to the score.</summary>
internal enum FlagEffect
{
    /// <summary>Shown to the teacher only.</summary>
    Info,

    /// <summary>The holistic and trait scores are capped at the middle of their scales.</summary>
    Cap,

    /// <summary>The score is taken from the cleaned text (never above the raw score) and lowered by one point.</summary>
    Penalty,

    /// <summary>The essay is not gradable as an answer to this prompt; every score is the scale minimum.</summary>
    Minimum,
}
