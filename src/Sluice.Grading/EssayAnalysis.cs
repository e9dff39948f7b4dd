using Sluice.Grading.Features;
using Sluice.Grading.Text;

namespace Sluice.Grading;

/// <summary>The checkers' output for one essay: the parsed document, suggestions so far and error counts.</summary>
internal sealed class EssayAnalysis(EssayDocument doc)
{
    public EssayDocument Doc { get; } = doc;

    public List<Suggestion> Suggestions { get; } = [];

    public int Misspellings { get; set; }

    /// <summary>The close candidates of each misspelling that had more than one, by its start (see <see cref="Spelling.SpellChecker.Check"/>).</summary>
    public Dictionary<int, string[]> Alternatives { get; } = [];

    public ErrorCounts Errors => ErrorCounts.From(Misspellings, Suggestions);
}
