using Sluice.Grading.Features;
using Sluice.Grading.Text;

namespace Sluice.Grading;

/// <summary>The checkers' output for one essay: the parsed document, suggestions so far and error counts.</summary>
internal sealed class EssayAnalysis(EssayDocument doc)
{
    public EssayDocument Doc { get; } = doc;

    public List<Suggestion> Suggestions { get; } = [];

    public int Misspellings { get; set; }

    public ErrorCounts Errors => ErrorCounts.From(Misspellings, Suggestions);
}
