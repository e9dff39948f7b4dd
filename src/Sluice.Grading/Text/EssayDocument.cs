namespace Sluice.Grading.Text;

/// <summary>
/// An essay split into tokens, sentences and paragraphs, with lower-cased word forms. Built once per essay and
/// shared by the spelling, grammar, structure and feature stages.
/// </summary>
internal sealed class EssayDocument
{
    public EssayDocument(string text, List<Token> tokens, string[] lower, List<Sentence> sentences, int paragraphs)
    {
        Text = text;
        Tokens = tokens;
        Lower = lower;
        Sentences = sentences;
        ParagraphCount = paragraphs;
    }

    public string Text { get; }

    public List<Token> Tokens { get; }

    /// <summary>Lower-cased text of every token (same index as <see cref="Tokens"/>).</summary>
    public string[] Lower { get; }

    public List<Sentence> Sentences { get; }

    public int ParagraphCount { get; }

    public ReadOnlySpan<char> Span(Token token) => Text.AsSpan(token.Start, token.Length);

    public string Surface(int index) => Text.Substring(Tokens[index].Start, Tokens[index].Length);

    /// <summary>Number of word tokens (words, numbers and placeholders; not punctuation).</summary>
    public int WordCount
    {
        get
        {
            var n = 0;
            foreach (var t in Tokens)
            {
                if (t.Kind != TokenKind.Punctuation)
                {
                    n++;
                }
            }

            return n;
        }
    }

    public string SentenceText(int sentence)
    {
        var s = Sentences[sentence];
        return Text[s.Start..s.End];
    }
}
