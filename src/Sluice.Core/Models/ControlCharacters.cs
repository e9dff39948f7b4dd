using System.Buffers;
using System.Globalization;

namespace Sluice.Core.Models;

/// <summary>
/// Text inputs (prompts, messages, task fields) refuse the C0 control characters other than the whitespace ones (tab,
/// line feed, vertical tab, form feed — a PDF paste brings form feeds — and carriage return), and DEL: none is writing
/// a model should read, a NUL ends strings in native code and some stores, and the rest (escape sequences, bell,
/// backspace) forge or garble log lines. Refused, not stripped: a silent edit
/// would change what the client asked without telling it.
/// </summary>
public static class ControlCharacters
{
    private static readonly SearchValues<char> Refused = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>False, with the error naming <paramref name="field"/>, when <paramref name="text"/> holds a refused character.</summary>
    public static bool TryCheck(ReadOnlySpan<char> text, string field, out InputError error)
    {
        var at = text.IndexOfAny(Refused);
        if (at < 0)
        {
            error = default;
            return true;
        }

        error = new InputError(field, Describe(text[at], at));
        return false;
    }

    /// <summary>The sentence for a refused character: which one and where, and what is allowed.</summary>
    public static string Describe(char c, int index) => string.Create(CultureInfo.InvariantCulture,
        $"contains the control character U+{(int)c:X4} at index {index}; text may hold tab, line feed, vertical tab, form feed and carriage return, no other control character");
}
