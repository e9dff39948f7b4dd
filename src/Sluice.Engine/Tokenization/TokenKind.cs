namespace Sluice.Engine.Tokenization;

/// <summary>Vocabulary entry kinds (GGUF <c>tokenizer.ggml.token_type</c> values).</summary>
internal enum TokenKind
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
