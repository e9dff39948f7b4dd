using Sluice.Grading.Spelling;

namespace Sluice.Grading.Tests;

/// <summary>One grader (embedded model + Debian dictionaries) shared by the tests; loading it takes about a second.</summary>
internal static class TestGrader
{
    private static readonly Lazy<EssayGrader> s_grader = new(() => GraderFactory.Create());
    private static readonly Lazy<SpellDictionary> s_dictionary = new(() => s_grader.Value.Dictionary);

    public static EssayGrader Instance => s_grader.Value;

    public static SpellDictionary Dictionary => s_dictionary.Value;

    public static EssayAnalyzer Analyzer => new(Speller);

    /// <summary>A spell checker ranking its suggestions by the committed model's word frequencies, as the grader's does.</summary>
    public static SpellChecker Speller
    {
        get
        {
            var speller = new SpellChecker(Dictionary);
            speller.SetFrequencyRanking(Instance.Model.CommonWords);
            speller.SetContextModel(Instance.Model.Syntax);
            return speller;
        }
    }

    /// <summary>A made-up prompt-1-style letter with a few deliberate errors.</summary>
    public const string SampleEssay =
        "Dear local newspaper, I think computers have a posative effect on people. First, they help students lern about the world. " +
        "For example, my brother use the computer to research a essay about volcanoes. i think this is very helpful because he got a good grade.\n\n" +
        "However, some people spend to much time on the computer. They dont exercise and they dont see there friends. This is bad for there health. " +
        "In conclusion, computers are good if people use them in moderation. Thank you for reading my letter.";
}
