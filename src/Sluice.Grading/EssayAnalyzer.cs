using Sluice.Grading.Features;
using Sluice.Grading.Grammar;
using Sluice.Grading.Spelling;
using Sluice.Grading.Structure;
using Sluice.Grading.Text;

namespace Sluice.Grading;

/// <summary>Runs the linguistic stages (spelling, grammar, structure) over an essay; thread-safe.</summary>
internal sealed class EssayAnalyzer(SpellChecker speller)
{
    public SpellChecker Speller => speller;

    /// <summary>Tokenizes and spell-checks (stage "spelling").</summary>
    public EssayAnalysis Spelling(string text)
    {
        var a = new EssayAnalysis(Tokenizer.Analyze(text));
        a.Misspellings = speller.Check(a.Doc, a.Suggestions, a.Alternatives);
        return a;
    }

    /// <summary>
    /// Grammar, capitalization and punctuation rules (stage "grammar"); <paramref name="syntax"/>, the model's class-bigram
    /// model, tells "an" meant as "and" (see <see cref="GrammarChecker.Check"/>). With the model the a/an rule also reads a
    /// misspelling's other close candidates; training checks without it, so the counts the committed model learned from stay.
    /// </summary>
    public static void Grammar(EssayAnalysis a, Integrity.SyntaxModel? syntax = null) =>
        GrammarChecker.Check(a.Doc, a.Suggestions, syntax, syntax is null ? null : a.Alternatives);

    /// <summary>Sentence length, paragraphing, transitions and vocabulary (stage "structure").</summary>
    public static void Structure(EssayAnalysis a, PromptProfile? profile = null) => StructureChecker.Check(a.Doc, a.Suggestions, profile);

    /// <summary>All three stages.</summary>
    public EssayAnalysis Analyze(string text)
    {
        var a = Spelling(text);
        Grammar(a);
        Structure(a);
        return a;
    }
}
