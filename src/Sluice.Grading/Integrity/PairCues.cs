namespace Sluice.Grading.Integrity;

/// <summary>What the neighbouring-sentence keys need of one sentence (or of the virtual start or end of an essay).</summary>
/// <param name="First">The opening word, lower case.</param>
/// <param name="Last">The last word.</param>
/// <param name="Content">Content-word stems, each with the class of the word before its first mention (<see cref="PairModel.Determiner"/>).</param>
/// <param name="Entities">Placeholders and capitalised words after the first.</param>
/// <param name="OddQuotes">Whether a quotation is left open.</param>
/// <param name="Edges">How it starts (U, l, o) and ends (its final mark, or _).</param>
/// <param name="FirstContent">The first content stem ("" when none).</param>
/// <param name="LastContent">The last content stem ("" when none).</param>
internal sealed record PairCues(
    string First, string Last, Dictionary<string, char> Content, HashSet<string> Entities, bool OddQuotes, string Edges, string FirstContent, string LastContent);
