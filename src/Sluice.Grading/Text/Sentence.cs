namespace Sluice.Grading.Text;

/// <summary>A sentence: its token range [FirstToken, FirstToken + TokenCount), character span and paragraph.</summary>
internal readonly record struct Sentence(int FirstToken, int TokenCount, int Start, int End, int Paragraph, int WordCount);
