namespace Sluice.Grading.Integrity;

/// <summary>
/// Neighbouring-sentence and opening/closing-sentence models learned from every prompt's training essays at once:
/// eight times the data of a prompt's own models for the cues essays share whatever they answer (connectives, pronouns
/// that continue a named entity, "a dog" before "the dog", greetings and sign-offs). The order detector uses both.
/// </summary>
internal sealed record SharedOrderModel
{
    public required PairModel Pairs { get; init; }

    public required BoundaryModel Boundary { get; init; }

    public required PrecedenceModel Precedence { get; init; }

    /// <summary>Word vectors behind the semantic-coherence features.</summary>
    public required SemanticModel Semantic { get; init; }
}
