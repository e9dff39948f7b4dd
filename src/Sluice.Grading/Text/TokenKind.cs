namespace Sluice.Grading.Text;

/// <summary>What a token is; placeholders are ASAP's anonymised entities (<c>@PERSON1</c>, <c>@CAPS2</c> …).</summary>
internal enum TokenKind : byte
{
    Word,
    Number,
    Placeholder,
    Punctuation,
}
