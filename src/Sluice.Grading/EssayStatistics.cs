namespace Sluice.Grading;

/// <summary>Descriptive statistics of the essay as submitted.</summary>
internal sealed record EssayStatistics(
    int Characters,
    int Words,
    int UniqueWords,
    int Sentences,
    int Paragraphs,
    double AverageSentenceLength,
    double AverageWordLength,
    double FleschKincaidGrade,
    double FleschReadingEase,
    double TypeTokenRatio,
    double Mattr,
    int Misspellings,
    int GrammarIssues,
    int Transitions);
