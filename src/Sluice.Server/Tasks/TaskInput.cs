using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Server.Tasks;

/// <summary>A task input that passed its schema: typed access to each field for the template.</summary>
internal sealed class TaskInput(Dictionary<string, string> strings, Dictionary<string, int> integers)
{
    public string Text(string name) => strings.TryGetValue(name, out var v) ? v : "";

    public bool Has(string name) => strings.ContainsKey(name) || integers.ContainsKey(name);

    public int Integer(string name) => integers.TryGetValue(name, out var v) ? v : 0;

    /// <summary>Checks <paramref name="input"/> against <paramref name="fields"/>; the error names the field (<c>input.x</c>).</summary>
    public static bool TryRead(JsonElement input, IReadOnlyList<TaskField> fields, out TaskInput? result, out string field, out string error)
    {
        result = null;
        field = "input";
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = "expected an object";
            return false;
        }

        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        var integers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in input.EnumerateObject())
        {
            field = "input." + ClientText.Echo(p.Name);
            var spec = FindField(fields, p.Name);
            if (spec is null)
            {
                error = $"unknown field; this task takes {string.Join(", ", Names(fields))}";
                return false;
            }

            var v = p.Value;

            // The characters the client sent, which the field's limit is about: a list's "- " and line breaks are ours.
            var sent = -1;
            if (v.ValueKind == JsonValueKind.Null && !spec.Required)
            {
                // An optional field sent as null is left out (its default applies), as generated clients send unset fields.
                continue;
            }

            if (!spec.Required && v.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetString()))
            {
                // A blank optional text (a form's empty box) is left out too: rendered, it would be "Audience: ." or an
                // empty context block. A blank required one is refused below.
                continue;
            }

            switch (spec.Type)
            {
                case TaskFieldType.String or TaskFieldType.StringOrList when v.ValueKind == JsonValueKind.String:
                    var text = v.GetString()!;
                    if (!ControlCharacters.TryCheck(text, "", out var textError))
                    {
                        error = textError.Message;
                        return false;
                    }

                    strings[p.Name] = text;
                    break;
                case TaskFieldType.StringOrList when v.ValueKind == JsonValueKind.Array:
                    var lines = new List<string>();
                    sent = 0;
                    foreach (var e in v.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.String)
                        {
                            error = "expected a string or an array of strings";
                            return false;
                        }

                        var item = e.GetString()!;
                        if (item.Trim().Length == 0)
                        {
                            // A blank item would reach the model as an empty "- " line: a section with no heading.
                            field = string.Create(CultureInfo.InvariantCulture, $"input.{p.Name}[{lines.Count}]");
                            error = "must not be empty";
                            return false;
                        }

                        if (!ControlCharacters.TryCheck(item, "", out var itemError))
                        {
                            field = string.Create(CultureInfo.InvariantCulture, $"input.{p.Name}[{lines.Count}]");
                            error = itemError.Message;
                            return false;
                        }

                        lines.Add("- " + item);
                        sent += item.Length;
                    }

                    strings[p.Name] = string.Join('\n', lines);
                    break;
                case TaskFieldType.Integer when JsonInteger.TryGetInt32(v, out var n):
                    if (n < spec.Min || n > spec.Max)
                    {
                        error = string.Create(CultureInfo.InvariantCulture, $"expected an integer from {spec.Min} to {spec.Max}");
                        return false;
                    }

                    integers[p.Name] = n;
                    break;
                case TaskFieldType.Object when v.ValueKind == JsonValueKind.Object:
                    strings[p.Name] = Compact(v);
                    break;
                case TaskFieldType.Integer:
                    // 3.5, 1e400 and "3" alike: the range is what the client needs to send a good one.
                    error = string.Create(CultureInfo.InvariantCulture, $"expected an integer from {spec.Min} to {spec.Max}");
                    return false;
                default:
                    error = $"expected {spec.JsonType}";
                    return false;
            }

            if (strings.TryGetValue(p.Name, out var s))
            {
                if (s.Trim().Length == 0 && spec.Required)
                {
                    error = "must not be empty";
                    return false;
                }

                var length = sent >= 0 ? sent : s.Length;
                if (length > spec.Max)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"is {length} characters; at most {spec.Max}");
                    return false;
                }
            }
        }

        foreach (var f in fields)
        {
            if (f.Required && !strings.ContainsKey(f.Name) && !integers.ContainsKey(f.Name))
            {
                field = "input." + f.Name;
                error = $"is required ({f.Description})";
                return false;
            }

            if (f.Default is { } d && !integers.ContainsKey(f.Name))
            {
                integers[f.Name] = d;
            }
        }

        result = new TaskInput(strings, integers);
        field = "";
        error = "";
        return true;
    }

    /// <summary>
    /// The object as compact JSON: the client's indentation is not content, so it neither counts against the
    /// field's limit nor takes room in the prompt. Relaxed escaping keeps quotes readable (<c>\"</c>) for the model.
    /// </summary>
    private static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static TaskField? FindField(IReadOnlyList<TaskField> fields, string name)
    {
        foreach (var f in fields)
        {
            if (f.Name == name)
            {
                return f;
            }
        }

        return null;
    }

    private static IEnumerable<string> Names(IReadOnlyList<TaskField> fields)
    {
        foreach (var f in fields)
        {
            yield return f.Name;
        }
    }
}
