using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Backends.KServe;

/// <summary>
/// Turns a job input into a <see cref="KServeItem"/>: an object keyed by input tensor name whose values are nested
/// (or flat) arrays for one item, or a bare array when the model has a single input. Checked against the model's
/// metadata when it is known: names, element types and fixed dimensions.
/// </summary>
internal static class KServeInputParser
{
    public static bool TryParse(JsonElement input, KServeMetadata? metadata, bool batchDimension, [NotNullWhen(true)] out KServeItem? item, out InputError error)
    {
        item = null;
        var specs = metadata?.Inputs;
        var tensors = new List<KServeTensor>();
        if (input.ValueKind == JsonValueKind.Array)
        {
            if (specs is not { Length: 1 })
            {
                error = new InputError("input", "give an object keyed by input tensor name, e.g. {\"x\": [[1, 2], [3, 4]]}");
                return false;
            }

            if (!TryTensor(input, specs[0].Name, specs[0], batchDimension, "input", out var t, out error))
            {
                return false;
            }

            tensors.Add(t);
        }
        else if (input.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in input.EnumerateObject())
            {
                KServeTensorSpec? spec = null;
                if (specs is not null)
                {
                    spec = Array.Find(specs, s => s.Name == p.Name);
                    if (spec is null)
                    {
                        var shown = ClientText.Echo(p.Name);
                        error = new InputError("input." + shown, $"the model has no input '{shown}'; its inputs are {string.Join(", ", Array.ConvertAll(specs, s => s.Name))}");
                        return false;
                    }
                }

                if (!TryTensor(p.Value, p.Name, spec, batchDimension, "input." + p.Name, out var t, out error))
                {
                    return false;
                }

                tensors.Add(t);
            }

            if (specs is not null)
            {
                foreach (var s in specs)
                {
                    if (!tensors.Exists(t => t.Name == s.Name))
                    {
                        error = new InputError("input." + s.Name, $"input '{s.Name}' ({s.Datatype}) is required");
                        return false;
                    }
                }
            }
        }
        else
        {
            error = new InputError("input", "expected an object keyed by input tensor name");
            return false;
        }

        if (tensors.Count == 0)
        {
            error = new InputError("input", "give at least one input tensor");
            return false;
        }

        item = new KServeItem(tensors.ToArray());
        error = default;
        return true;
    }

    private static bool TryTensor(JsonElement value, string name, KServeTensorSpec? spec, bool batchDimension, string field, [NotNullWhen(true)] out KServeTensor? tensor, out InputError error)
    {
        tensor = null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            error = new InputError(field, "expected an array (nested for several dimensions)");
            return false;
        }

        var shape = new List<int>();
        var flat = new List<JsonElement>();
        if (!Flatten(value, 0, shape, flat))
        {
            error = new InputError(field, "the nested arrays are not rectangular");
            return false;
        }

        var datatype = spec?.Datatype ?? Infer(flat);
        foreach (var e in flat)
        {
            if (!Fits(e, datatype))
            {
                error = new InputError(field, $"every element must be {Describe(datatype)} for datatype {datatype}");
                return false;
            }
        }

        var dims = shape.ToArray();
        if (spec is not null)
        {
            var expected = batchDimension && spec.Shape.Length > 0 ? spec.Shape[1..] : spec.Shape;
            if (!Matches(dims, expected))
            {
                // A flat array may stand for a fixed shape with the same number of elements.
                if (dims.Length == 1 && Array.TrueForAll(expected, d => d >= 0) && Product(expected) == flat.Count)
                {
                    dims = Array.ConvertAll(expected, d => (int)d);
                }
                else
                {
                    error = new InputError(field, $"shape [{string.Join(", ", dims)}] does not match the model's [{string.Join(", ", expected)}] (-1: any)");
                    return false;
                }
            }
        }

        tensor = new KServeTensor(name, datatype, dims, [.. flat]);
        error = default;
        return true;
    }

    private static bool Flatten(JsonElement e, int depth, List<int> shape, List<JsonElement> flat)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            if (depth != shape.Count)
            {
                return false;
            }

            flat.Add(e.Clone());
            return true;
        }

        var n = e.GetArrayLength();
        if (depth == shape.Count)
        {
            shape.Add(n);
        }
        else if (shape[depth] != n)
        {
            return false;
        }

        foreach (var child in e.EnumerateArray())
        {
            if (!Flatten(child, depth + 1, shape, flat))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Matches(int[] dims, long[] expected)
    {
        if (dims.Length != expected.Length)
        {
            return false;
        }

        for (var i = 0; i < dims.Length; i++)
        {
            if (expected[i] >= 0 && expected[i] != dims[i])
            {
                return false;
            }
        }

        return true;
    }

    private static long Product(long[] dims)
    {
        long p = 1;
        foreach (var d in dims)
        {
            p *= d;
        }

        return p;
    }

    private static string Infer(List<JsonElement> flat) =>
        flat.Count > 0 && flat[0].ValueKind == JsonValueKind.String ? "BYTES"
        : flat.Count > 0 && flat[0].ValueKind is JsonValueKind.True or JsonValueKind.False ? "BOOL"
        : "FP32";

    private static bool Fits(JsonElement e, string datatype) => datatype switch
    {
        "BYTES" => e.ValueKind == JsonValueKind.String,
        "BOOL" => e.ValueKind is JsonValueKind.True or JsonValueKind.False,
        _ when datatype.StartsWith("INT", StringComparison.Ordinal) || datatype.StartsWith("UINT", StringComparison.Ordinal) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _),
        _ => e.ValueKind == JsonValueKind.Number,
    };

    private static string Describe(string datatype) => datatype switch
    {
        "BYTES" => "a string",
        "BOOL" => "true or false",
        _ when datatype.StartsWith("INT", StringComparison.Ordinal) || datatype.StartsWith("UINT", StringComparison.Ordinal) => "an integer",
        _ => "a number",
    };
}
