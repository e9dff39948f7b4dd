using System.Globalization;
using System.Text;

namespace Sluice.Core.Models;

/// <summary>
/// A value of the client's (a field name, a path id, a model name) as an error message shows it: its first 64
/// characters, then "…", with control characters (CR, LF, ESC …, and the Unicode line separators) written as
/// <c>\uXXXX</c>. Echoed whole, a name of megabytes came back whole (in the detail and in <c>errors</c>), and a CR or an
/// escape sequence in it reached terminals and logs that show the answer.
/// </summary>
public static class ClientText
{
    /// <summary>Most characters of the client's value shown.</summary>
    public const int Shown = 64;

    public static string Echo(string value)
    {
        var length = Math.Min(value.Length, Shown);
        // Not half a surrogate pair at the cut.
        if (length < value.Length && length > 0 && char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }

        var kept = value.AsSpan(0, length);
        if (length == value.Length && !HasControl(kept))
        {
            return value;
        }

        var shown = new StringBuilder(length + 8);
        foreach (var c in kept)
        {
            if (IsControl(c))
            {
                shown.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                shown.Append(c);
            }
        }

        if (length < value.Length)
        {
            shown.Append('…');
        }

        return shown.ToString();
    }

    private static bool HasControl(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
