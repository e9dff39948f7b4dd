namespace Sluice.Grading.Features;

/// <summary>Counts of the checkers' hits, by category.</summary>
internal readonly record struct ErrorCounts(int Misspellings, int Grammar, int Punctuation, int Capitalization)
{
    public static ErrorCounts From(int misspellings, IEnumerable<Suggestion> suggestions)
    {
        int g = 0, p = 0, c = 0;
        foreach (var s in suggestions)
        {
            switch (s.Category)
            {
                case "grammar": g++; break;
                case "punctuation": p++; break;
                case "capitalization": c++; break;
            }
        }

        return new ErrorCounts(misspellings, g, p, c);
    }
}
