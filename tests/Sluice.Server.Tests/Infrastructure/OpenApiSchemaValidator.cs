using System.Globalization;
using System.Text.Json;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// Checks a JSON value against a schema of an OpenAPI 3.1 document: the subset of JSON Schema the served document uses
/// (<c>$ref</c> into the document, <c>type</c> as a name or a list with <c>null</c>, <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>enum</c>, <c>const</c>, <c>oneOf</c>/<c>anyOf</c>/<c>allOf</c>, the
/// integer formats, lengths, bounds and <c>date-time</c>). A keyword it does not know is a failure, not a pass, so a
/// schema the document starts to use cannot be waved through unchecked.
/// </summary>
internal sealed class OpenApiSchemaValidator(JsonElement document)
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "oneOf", "anyOf", "allOf",
        "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "description", "default",
        "example", "examples", "title", "nullable", "readOnly", "deprecated", "externalDocs",
    };

    /// <summary>Every mismatch of <paramref name="value"/> against <paramref name="schema"/>, each with its JSON path.</summary>
    public List<string> Validate(JsonElement schema, JsonElement value, string path = "$")
    {
        var errors = new List<string>();
        Check(schema, value, path, errors, 0);
        return errors;
    }

    /// <summary>The schema of <c>#/…</c> in the document.</summary>
    public JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{reference}: only references into the document are supported");
        }

        var target = document;
        foreach (var segment in reference[2..].Split('/'))
        {
            var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (!target.TryGetProperty(name, out target))
            {
                throw new InvalidOperationException($"{reference} does not resolve");
            }
        }

        return target;
    }

    private void Check(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        if (depth > 64)
        {
            errors.Add($"{path}: schema nesting too deep (a $ref cycle?)");
            return;
        }

        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{path}: no value is allowed here");
            return;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            if (!Known.Contains(keyword.Name) && !keyword.Name.StartsWith("x-", StringComparison.Ordinal))
            {
                errors.Add($"{path}: the validator does not know the keyword '{keyword.Name}'");
            }
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Check(Resolve(reference.GetString()!), value, path, errors, depth + 1);
        }

        if (schema.TryGetProperty("type", out var type) && !TypeMatches(type, value))
        {
            errors.Add($"{path}: {Describe(value)} where the schema says type {type.GetRawText()}");
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value.GetRawText()} is not one of {allowed.GetRawText()}");
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            errors.Add($"{path}: {value.GetRawText()} is not {constant.GetRawText()}");
        }

        CheckCombinators(schema, value, path, errors, depth);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                CheckObject(schema, value, path, errors, depth);
                break;
            case JsonValueKind.Array:
                CheckArray(schema, value, path, errors, depth);
                break;
            case JsonValueKind.String:
                CheckString(schema, value.GetString()!, path, errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(schema, value, path, errors);
                break;
        }
    }

    private void CheckCombinators(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray())
            {
                Check(part, value, path, errors, depth + 1);
            }
        }

        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(part => Validate(part, value, path).Count == 0))
        {
            errors.Add($"{path}: {Describe(value)} matches none of anyOf");
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var matches = oneOf.EnumerateArray().Count(part => Validate(part, value, path).Count == 0);
            if (matches != 1)
            {
                errors.Add($"{path}: {Describe(value)} matches {matches} of oneOf, not exactly one");
            }
        }
    }

    private void CheckObject(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray())
            {
                if (!value.TryGetProperty(name.GetString()!, out _))
                {
                    errors.Add($"{path}: the required '{name.GetString()}' is missing");
                }
            }
        }

        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var member in value.EnumerateObject())
        {
            var at = $"{path}.{member.Name}";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(member.Name, out var declared))
            {
                Check(declared, member.Value, at, errors, depth + 1);
            }
            else if (additional.ValueKind is JsonValueKind.Object or JsonValueKind.False)
            {
                Check(additional, member.Value, at, errors, depth + 1);
            }
            else if (properties.ValueKind == JsonValueKind.Object)
            {
                // Allowed by JSON Schema, but a generated client drops it: the document must name what the server sends.
                errors.Add($"{at}: the server sends a member the schema does not declare");
            }
        }
    }

    private void CheckArray(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        var count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && count < min.GetInt32())
        {
            errors.Add($"{path}: {count} items, fewer than minItems {min.GetInt32()}");
        }

        if (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32())
        {
            errors.Add($"{path}: {count} items, more than maxItems {max.GetInt32()}");
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(items, item, $"{path}[{i++}]", errors, depth + 1);
            }
        }
    }

    private static void CheckString(JsonElement schema, string text, string path, List<string> errors)
    {
        if (schema.TryGetProperty("minLength", out var min) && text.Length < min.GetInt32())
        {
            errors.Add($"{path}: '{text}' is shorter than minLength {min.GetInt32()}");
        }

        if (schema.TryGetProperty("maxLength", out var max) && text.Length > max.GetInt32())
        {
            errors.Add($"{path}: '{text}' is longer than maxLength {max.GetInt32()}");
        }

        if (schema.TryGetProperty("pattern", out var pattern) && !System.Text.RegularExpressions.Regex.IsMatch(text, pattern.GetString()!))
        {
            errors.Add($"{path}: '{text}' does not match {pattern.GetString()}");
        }

        if (schema.TryGetProperty("format", out var format) && format.GetString() == "date-time"
            && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            errors.Add($"{path}: '{text}' is not a date-time");
        }
    }

    private static void CheckNumber(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (format == "int32" && !value.TryGetInt32(out _) || format == "int64" && !value.TryGetInt64(out _))
        {
            errors.Add($"{path}: {value.GetRawText()} is not an {format}");
        }

        var number = value.GetDouble();
        if (schema.TryGetProperty("minimum", out var min) && number < min.GetDouble())
        {
            errors.Add($"{path}: {value.GetRawText()} is below minimum {min.GetRawText()}");
        }

        if (schema.TryGetProperty("maximum", out var max) && number > max.GetDouble())
        {
            errors.Add($"{path}: {value.GetRawText()} is above maximum {max.GetRawText()}");
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var above) && number <= above.GetDouble())
        {
            errors.Add($"{path}: {value.GetRawText()} is not above exclusiveMinimum {above.GetRawText()}");
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var below) && number >= below.GetDouble())
        {
            errors.Add($"{path}: {value.GetRawText()} is not below exclusiveMaximum {below.GetRawText()}");
        }
    }

    private static bool TypeMatches(JsonElement type, JsonElement value) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => TypeMatches(t.GetString()!, value))
        : TypeMatches(type.GetString()!, value);

    private static bool TypeMatches(string type, JsonElement value) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && Math.Floor(value.GetDouble()) == value.GetDouble(),
        _ => throw new InvalidOperationException($"unknown type '{type}'"),
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => value.GetRawText(),
    };
}
