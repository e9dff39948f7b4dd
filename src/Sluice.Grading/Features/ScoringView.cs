using Sluice.Grading.Text;

namespace Sluice.Grading.Features;

/// <summary>
/// The essay as the scoring model reads it: anonymised the way ASAP anonymised its essays, so a student's real names
/// and numbers weigh as the placeholders the model learned from. ASAP replaced capitalised words that do not begin a
/// sentence with <c>@CAPS</c>, numbers with <c>@NUM</c> and named entities with <c>@PERSON</c> …; a real essay writes
/// "my Mom", "Mr. Smith" or "3 hours", which the model had never seen there (on held-out essays with their placeholders
/// filled back in, scores fell by up to 4 points in prompts 7 and 8). Applied to the training essays too (which are
/// anonymised already, apart from some capitalised words ASAP left), so both are read the same way. Suggestions and
/// statistics keep the real text.
/// </summary>
internal static class ScoringView
{
    /// <summary>ASAP left the capitals of essays with more than this share of capital letters (written in capitals).</summary>
    private const double MaxCapitalShare = 0.2;

    public static EssayDocument Of(EssayDocument doc)
    {
        var tokens = doc.Tokens;
        var capitalsKept = CapitalShare(doc) > MaxCapitalShare;
        List<Token>? viewTokens = null;
        string[]? lower = null;
        Dictionary<string, string>? names = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            var kind = t.Kind switch
            {
                TokenKind.Number => "@num",
                TokenKind.Word when !capitalsKept && IsName(doc, i) => "@caps",
                _ => null,
            };
            if (kind is null)
            {
                continue;
            }

            viewTokens ??= [.. tokens];
            lower ??= (string[])doc.Lower.Clone();
            names ??= new(StringComparer.Ordinal);
            // The same name or number is the same placeholder, as in ASAP (@PERSON1 … @PERSON1); numbered from 1001 so
            // it never meets one of the essay's own.
            if (!names.TryGetValue(doc.Lower[i], out var placeholder))
            {
                placeholder = kind + (1001 + names.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
                names[doc.Lower[i]] = placeholder;
            }

            viewTokens[i] = t with { Kind = TokenKind.Placeholder };
            lower[i] = placeholder;
        }

        return viewTokens is null ? doc : new EssayDocument(doc.Text, viewTokens, lower!, doc.Sentences, doc.ParagraphCount);
    }

    /// <summary>A capitalised word that does not begin its sentence, other than "I" and its contractions.</summary>
    private static bool IsName(EssayDocument doc, int i)
    {
        var t = doc.Tokens[i];
        return char.IsUpper(doc.Text[t.Start]) && !Discourse.OpensSentence(doc, i) && !(doc.Lower[i] == "i" || doc.Lower[i].StartsWith("i'", StringComparison.Ordinal)
            || doc.Lower[i].StartsWith("i\u2019", StringComparison.Ordinal));
    }

    private static double CapitalShare(EssayDocument doc)
    {
        int letters = 0, capitals = 0;
        foreach (var c in doc.Text)
        {
            if (char.IsLetter(c))
            {
                letters++;
                capitals += char.IsUpper(c) ? 1 : 0;
            }
        }

        return letters == 0 ? 0 : (double)capitals / letters;
    }
}
