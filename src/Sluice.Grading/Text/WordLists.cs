namespace Sluice.Grading.Text;

/// <summary>Closed-class English word lists the features and rules share (kept small and explicit on purpose).</summary>
internal static class WordLists
{
    /// <summary>Function words: determiners, pronouns, prepositions, auxiliaries, conjunctions.</summary>
    public static readonly HashSet<string> FunctionWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "its", "our", "their", "some", "any", "no", "every", "each",
        "i", "me", "you", "he", "him", "she", "it", "we", "us", "they", "them", "who", "whom", "which", "what", "whose", "myself", "themselves",
        "of", "in", "on", "at", "to", "for", "with", "by", "from", "about", "into", "over", "after", "before", "under", "between", "through", "during", "without", "than", "as", "like", "up", "down", "out", "off",
        "is", "am", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did", "will", "would", "can", "could", "should", "may", "might", "must", "shall",
        "and", "but", "or", "so", "because", "if", "when", "while", "although", "though", "since", "unless", "not", "there", "then", "also", "very", "just", "too", "how", "why", "where",
        "don't", "doesn't", "didn't", "can't", "won't", "isn't", "aren't", "wasn't", "it's", "i'm", "that's", "they're", "you're", "there's", "all", "more", "most", "many", "much",
    };

    /// <summary>Transition words and the first word of transition phrases (matched at sentence or clause start).</summary>
    public static readonly HashSet<string> Transitions = new(StringComparer.Ordinal)
    {
        "first", "firstly", "second", "secondly", "third", "thirdly", "finally", "lastly", "furthermore", "moreover", "additionally", "also", "however", "therefore", "thus",
        "consequently", "meanwhile", "nevertheless", "nonetheless", "instead", "similarly", "likewise", "otherwise", "besides", "hence", "overall", "next", "then", "afterwards",
        "although", "because", "since", "unlike", "ultimately", "indeed", "still", "later",
    };

    /// <summary>Multi-word transitions (lower case, single spaces).</summary>
    public static readonly string[] TransitionPhrases =
    [
        "in conclusion", "in addition", "for example", "for instance", "on the other hand", "as a result", "in fact", "to begin", "to conclude", "in summary",
        "to sum up", "in other words", "after all", "in the end", "at first", "all in all", "even though", "as well as", "due to", "because of",
    ];

    /// <summary>Ordinal markers that open an essay's argument; finding them late suggests shuffled sentences.</summary>
    public static readonly HashSet<string> OpeningMarkers = new(StringComparer.Ordinal) { "dear", "first", "firstly", "to begin", "first of all", "to start" };

    /// <summary>Markers that close an essay; finding them early suggests shuffled sentences.</summary>
    public static readonly HashSet<string> ClosingMarkers = new(StringComparer.Ordinal) { "in conclusion", "to conclude", "in summary", "sincerely", "finally", "lastly", "to sum up", "all in all" };

    /// <summary>
    /// Verbs of a dialogue tag ("she said", "asked my mom"): after a quoted sentence that ends in a full stop they
    /// continue it rather than start a new one.
    /// </summary>
    public static readonly HashSet<string> SpeechVerbs = new(StringComparer.Ordinal)
    {
        "said", "says", "asked", "asks", "replied", "replies", "whispered", "whispers", "shouted", "shouts", "yelled", "yells",
        "screamed", "screams", "cried", "cries", "exclaimed", "exclaims", "answered", "answers", "muttered", "mutters",
        "mumbled", "mumbles", "added", "adds", "explained", "explains", "responded", "responds", "sighed", "sighs",
        "laughed", "laughs", "told", "tells", "stated", "states", "wrote", "writes",
    };

    /// <summary>Determiners and prepositions: two of them in a row ("the of", "a the") is rare in real English.</summary>
    public static readonly HashSet<string> DeterminersAndPrepositions = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "by", "from", "into", "my", "your", "their", "our", "its",
    };
}
