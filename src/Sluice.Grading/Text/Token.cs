namespace Sluice.Grading.Text;

/// <summary>A token: its character span in the essay, its kind, and the sentence it belongs to.</summary>
internal readonly record struct Token(int Start, int Length, TokenKind Kind, int Sentence)
{
    public int End => Start + Length;
}
