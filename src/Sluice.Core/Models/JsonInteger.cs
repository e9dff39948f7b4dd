using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Core.Models;

/// <summary>
/// Reads an integer parameter from a JSON number by its value, not its spelling: <c>1</c>, <c>1.0</c> and
/// <c>1e0</c> are all 1 (JSON has one number type and clients write integral floats, e.g. Python's <c>1.0</c> or
/// JavaScript after arithmetic), while <c>1.5</c> is not an integer. <see cref="JsonElement.TryGetInt32(out int)"/>
/// refuses every number written with a fraction or an exponent.
/// </summary>
public static class JsonInteger
{
    /// <summary>True when <paramref name="value"/> is a JSON number with an integral value that fits an <see cref="int"/>.</summary>
    public static bool TryGetInt32(JsonElement value, out int result)
    {
        result = 0;
        if (!TryGetIntegral(value, out var negative, out var magnitude) || magnitude > (negative ? 1UL + int.MaxValue : int.MaxValue))
        {
            return false;
        }

        result = negative ? (int)-(long)magnitude : (int)magnitude;
        return true;
    }

    /// <summary>True when <paramref name="value"/> is a JSON number with an integral value from 0 to <see cref="ulong.MaxValue"/>.</summary>
    public static bool TryGetUInt64(JsonElement value, out ulong result)
    {
        result = 0;
        if (!TryGetIntegral(value, out var negative, out var magnitude) || (negative && magnitude != 0))
        {
            return false;
        }

        result = magnitude;
        return true;
    }

    private static bool TryGetIntegral(JsonElement value, out bool negative, out ulong magnitude)
    {
        negative = false;
        magnitude = 0;
        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        if (value.TryGetUInt64(out magnitude))
        {
            return true;
        }

        // The exact decimal text, not a double: a seed near 2^64 written as 18446744073709551615.0 must not round.
        var text = JsonMarshal.GetRawUtf8Value(value);
        var i = 0;
        if (text[i] == '-')
        {
            negative = true;
            i++;
        }

        // JSON's grammar (already checked by the parser): digits, optional .digits, optional e[+-]digits.
        var digitsStart = i;
        while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9')
        {
            i++;
        }

        var intEnd = i;
        var fracStart = i;
        var fracEnd = i;
        if (i < text.Length && text[i] == '.')
        {
            fracStart = ++i;
            while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9')
            {
                i++;
            }

            fracEnd = i;
        }

        long exponent = 0;
        if (i < text.Length && text[i] is (byte)'e' or (byte)'E')
        {
            i++;
            var expNegative = false;
            if (text[i] is (byte)'+' or (byte)'-')
            {
                expNegative = text[i] == '-';
                i++;
            }

            for (; i < text.Length; i++)
            {
                // Saturate: any exponent past a few hundred already decides the answer.
                exponent = Math.Min(exponent * 10 + (text[i] - '0'), 100_000);
            }

            exponent = expNegative ? -exponent : exponent;
        }

        // The significant digits are the integer part then the fraction; the decimal point sits after
        // (integer digits + exponent) of them. Integral iff every digit after the point is 0.
        var digitCount = (intEnd - digitsStart) + (fracEnd - fracStart);
        var point = (intEnd - digitsStart) + exponent;
        ulong acc = 0;
        for (var d = 0; d < digitCount; d++)
        {
            var digit = (uint)(d < intEnd - digitsStart ? text[digitsStart + d] : text[fracStart + d - (intEnd - digitsStart)]) - '0';
            if (d >= point)
            {
                if (digit != 0)
                {
                    return false;
                }

                continue;
            }

            if (acc > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            acc = acc * 10 + digit;
        }

        // Trailing zeros the exponent adds beyond the written digits (1e3 = 1000); nothing to scale when the value is 0 (0e99999).
        for (var z = digitCount; z < point && acc != 0; z++)
        {
            if (acc > ulong.MaxValue / 10)
            {
                return false;
            }

            acc *= 10;
        }

        magnitude = acc;
        return true;
    }
}
