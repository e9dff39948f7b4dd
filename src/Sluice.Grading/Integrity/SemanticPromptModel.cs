namespace Sluice.Grading.Integrity;

/// <summary>
/// A prompt's order cues in the <see cref="SemanticModel"/> sentence space: what its openers and closers talk about
/// (directions along which first and last sentences differ from their essay's mean sentence), where in an essay each
/// kind of content sits (a linear position predictor: source-based answers retell their text in its order, narratives
/// tell events in sequence).
/// </summary>
internal sealed record SemanticPromptModel
{
    /// <summary>Direction along which first sentences differ from their essay's mean unit sentence vector, on average.</summary>
    public required float[] First { get; init; }

    /// <summary>The same for last sentences.</summary>
    public required float[] Last { get; init; }

    /// <summary>Relative position (0 … 1) ≈ Position · unit sentence vector + PositionBias.</summary>
    public required float[] Position { get; init; }

    public required float PositionBias { get; init; }

    public double PredictPosition(float[] unit)
    {
        var s = (double)PositionBias;
        for (var j = 0; j < unit.Length; j++)
        {
            s += Position[j] * unit[j];
        }

        return s;
    }
}
