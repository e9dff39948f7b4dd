using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Core.Caching;

/// <summary>
/// Writes a JSON number in one spelling per value, exactly (from its decimal text, never through a double, so two
/// 64-bit seeds a double cannot tell apart keep their own keys): <c>3</c>, <c>3.0</c>, <c>3e0</c> and <c>30E-1</c> are
/// all <c>3</c>, <c>-0.0</c> is <c>0</c>. A value with at most 21 integer digits or 6 leading fraction zeros is written
/// plainly (<c>0.7</c>, <c>100</c>, as clients mostly write them, so their keys stay as they were), any other as
/// <c>{digits}e{exponent}</c> with neither leading nor trailing zeros in the digits.
/// </summary>
internal static class CanonicalNumber
{
    private const int MaxPlainIntegerDigits = 21;
    private const int MaxPlainLeadingZeros = 6;
    private const int StackBytes = 256;

    public static void Write(Utf8JsonWriter writer, JsonElement number)
    {
        var text = JsonMarshal.GetRawUtf8Value(number);
        // Room for the digits, a sign, a point, the zeros of a plain form and an exponent.
        var needed = text.Length + MaxPlainIntegerDigits + MaxPlainLeadingZeros + 24;
        byte[]? rented = null;
        var output = needed <= StackBytes ? stackalloc byte[StackBytes] : (rented = ArrayPool<byte>.Shared.Rent(needed));
        try
        {
            if (TryFormat(text, output, out var written))
            {
                writer.WriteRawValue(output[..written], skipInputValidation: true);
            }
            else
            {
                number.WriteTo(writer);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The canonical form of the JSON number <paramref name="text"/>; false for an exponent past 9 digits (written as sent).</summary>
    internal static bool TryFormat(ReadOnlySpan<byte> text, Span<byte> output, out int written)
    {
        written = 0;
        var i = 0;
        var negative = text[0] == (byte)'-';
        if (negative)
        {
            i++;
        }

        // The significant digits (integer then fraction) into output[1..], leading zeros skipped; scale counts the
        // fraction digits kept, so the value is digits × 10^(exponent − scale).
        var digits = output[1..];
        var count = 0;
        var scale = 0L;
        var inFraction = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == (byte)'.')
            {
                inFraction = true;
                continue;
            }

            if (c is (byte)'e' or (byte)'E')
            {
                break;
            }

            if (inFraction)
            {
                scale++;
            }

            if (count == 0 && c == (byte)'0')
            {
                continue;
            }

            digits[count++] = c;
        }

        var exponent = 0L;
        if (i < text.Length)
        {
            i++;
            var negativeExponent = text[i] == (byte)'-';
            if (text[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            var exponentDigits = 0;
            for (; i < text.Length; i++)
            {
                if (exponent == 0 && text[i] == (byte)'0')
                {
                    continue;
                }

                if (++exponentDigits > 9)
                {
                    return false;
                }

                exponent = (exponent * 10) + (text[i] - '0');
            }

            if (negativeExponent)
            {
                exponent = -exponent;
            }
        }

        if (count == 0)
        {
            // Every zero, signed or not, with any exponent.
            output[0] = (byte)'0';
            written = 1;
            return true;
        }

        while (digits[count - 1] == (byte)'0')
        {
            count--;
            exponent++;
        }

        exponent -= scale;
        var start = 0;
        if (negative)
        {
            output[0] = (byte)'-';
            start = 1;
        }
        else
        {
            digits[..count].CopyTo(output);
        }

        // Digits before the point in the plain form.
        var point = count + exponent;
        var at = start + count;
        if (exponent >= 0 && point <= MaxPlainIntegerDigits)
        {
            output.Slice(at, (int)exponent).Fill((byte)'0');
            written = at + (int)exponent;
        }
        else if (exponent < 0 && point > 0)
        {
            // 12.34: the fraction digits move one place right to make room for the point.
            var p = start + (int)point;
            output.Slice(p, at - p).CopyTo(output[(p + 1)..]);
            output[p] = (byte)'.';
            written = at + 1;
        }
        else if (exponent < 0 && point > -MaxPlainLeadingZeros)
        {
            // 0.007: "0." and the leading zeros go before the digits.
            var zeros = (int)-point;
            output.Slice(start, count).CopyTo(output[(start + 2 + zeros)..]);
            output[start] = (byte)'0';
            output[start + 1] = (byte)'.';
            output.Slice(start + 2, zeros).Fill((byte)'0');
            written = start + 2 + zeros + count;
        }
        else
        {
            output[at++] = (byte)'e';
            exponent.TryFormat(output[at..], out var e, provider: System.Globalization.CultureInfo.InvariantCulture);
            written = at + e;
        }

        return true;
    }
}
