using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>Validates the shape of a <c>POST /v1/jobs</c> body field by field (the model validates <c>input</c>).</summary>
internal static class SubmitParser
{
    public const int MaxModelNameLength = 128;
    public const int MaxDeadlineMs = 86_400_000;

    /// <summary>RFC 7230's optional whitespace, around a preference's '=' and its parts.</summary>
    private const string PreferWhitespace = " \t";

    /// <summary>The optional fields a null stands for leaving out.</summary>
    public static readonly string[] NullableFields = ["priority", "deadline_ms", "cache"];

    public static bool TryParse(JsonElement root, out ParsedSubmit parsed, out IResult? error)
    {
        parsed = default;
        error = null;
        string? model = null;
        JsonElement input = default;
        var priority = JobPriority.Normal;
        int? deadline = null;
        var cache = true;
        foreach (var p in root.EnumerateObject())
        {
            // An optional field sent as null is left out, as generated clients send unset fields.
            if (p.Value.ValueKind == JsonValueKind.Null && IsNullableField(p))
            {
                continue;
            }

            // Matched with NameEquals: JsonProperty.Name makes a new string on every call.
            if (p.NameEquals("model"u8))
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    error = Problems.BadRequest("model", "must be a string naming a model (see GET /v1/models)");
                    return false;
                }

                model = p.Value.GetString()!;
                if (!IsValidModelName(model))
                {
                    error = Problems.BadRequest("model", $"must be 1–{MaxModelNameLength} characters of a-z, 0-9, '.', '_' or '-'");
                    return false;
                }
            }
            else if (p.NameEquals("input"u8))
            {
                input = p.Value.Clone();
            }
            else if (p.NameEquals("priority"u8))
            {
                if (p.Value.ValueKind != JsonValueKind.String || !JobStatusNames.TryParsePriority(p.Value.GetString(), out priority))
                {
                    error = Problems.BadRequest("priority", "must be \"high\", \"normal\" or \"low\"");
                    return false;
                }
            }
            else if (p.NameEquals("deadline_ms"u8))
            {
                if (!JsonInteger.TryGetInt32(p.Value, out var d) || d < 1 || d > MaxDeadlineMs)
                {
                    error = Problems.BadRequest("deadline_ms", $"must be an integer number of milliseconds from 1 to {MaxDeadlineMs}");
                    return false;
                }

                deadline = d;
            }
            else if (p.NameEquals("cache"u8))
            {
                if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    error = Problems.BadRequest("cache", "must be a boolean");
                    return false;
                }

                cache = p.Value.GetBoolean();
            }
            else
            {
                var shown = ClientText.Echo(p.Name);
                error = Problems.BadRequest(shown, $"unknown field '{shown}'; allowed: model, input, priority, deadline_ms, cache");
                return false;
            }
        }

        if (model is null)
        {
            error = Problems.BadRequest("model", "is required");
            return false;
        }

        if (input.ValueKind == JsonValueKind.Undefined)
        {
            error = Problems.BadRequest("input", "is required (the model's input, e.g. {} for echo)");
            return false;
        }

        parsed = new ParsedSubmit(model, input, priority, deadline, cache);
        return true;
    }

    private static bool IsNullableField(JsonProperty p)
    {
        foreach (var field in NullableFields)
        {
            if (p.NameEquals(field))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsValidModelName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxModelNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An <c>Idempotency-Key</c>: 1–255 visible ASCII characters (0x21–0x7E; no spaces).</summary>
    public static bool IsValidIdempotencyKey(string key)
    {
        if (key.Length is 0 or > 255)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (c is < (char)0x21 or > (char)0x7e)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A W3C traceparent: <c>00-32hex-16hex-2hex</c>.</summary>
    public static bool IsValidTraceParent(string? value)
    {
        if (value is null || value.Length != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (i is 2 or 35 or 52)
            {
                continue;
            }

            if (!char.IsAsciiHexDigitLower(value[i]) && !char.IsAsciiDigit(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Seconds asked for by <c>Prefer: wait=N</c> (RFC 7240), or 0. Read as the RFC writes it: whitespace may surround
    /// '=' and the value may be quoted (<c>wait = 10</c>, <c>wait="10"</c>); what follows a ';' is a parameter of the
    /// preference before it (<c>handling=strict; wait=10</c> asks for no wait); only the first <c>wait</c> counts.
    /// </summary>
    public static int PreferWait(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            var rest = header.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = IndexOutsideQuotes(rest, ',');
                var preference = comma < 0 ? rest : rest[..comma];
                rest = comma < 0 ? default : rest[(comma + 1)..];
                var semicolon = IndexOutsideQuotes(preference, ';');
                var head = semicolon < 0 ? preference : preference[..semicolon];
                var eq = head.IndexOf('=');
                var name = (eq < 0 ? head : head[..eq]).Trim(PreferWhitespace);
                if (name.Equals("wait", StringComparison.OrdinalIgnoreCase))
                {
                    return eq < 0 ? 0 : WaitSeconds(head[(eq + 1)..].Trim(PreferWhitespace));
                }
            }
        }

        return 0;
    }

    /// <summary>A wait's value, a token or a quoted string: any run of digits, else 0 (ignored).</summary>
    private static int WaitSeconds(ReadOnlySpan<char> value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        if (value.IsEmpty || value.ContainsAnyExceptInRange('0', '9'))
        {
            return 0;
        }

        // One too large for an int is as long as the server's cap anyway.
        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
    }

    /// <summary>Index of <paramref name="c"/> outside quoted strings (which may hold ',' and ';', with '\\' escapes), or -1.</summary>
    private static int IndexOutsideQuotes(ReadOnlySpan<char> s, char c)
    {
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            if (quoted)
            {
                if (s[i] == '\\')
                {
                    i++;
                }
                else if (s[i] == '"')
                {
                    quoted = false;
                }
            }
            else if (s[i] == '"')
            {
                quoted = true;
            }
            else if (s[i] == c)
            {
                return i;
            }
        }

        return -1;
    }
}
