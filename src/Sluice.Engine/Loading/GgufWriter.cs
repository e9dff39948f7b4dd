using System.Text;

namespace Sluice.Engine.Loading;

/// <summary>
/// Writes GGUF files (versions 1 to 3) with F32, F16 or Q8_0 tensors: used by <c>model synth</c> and by tests
/// that convert the shared model between formats.
/// </summary>
internal static class GgufWriter
{
    private const int Alignment = 32;

    /// <summary>
    /// Metadata values may be string, bool, int (written int32), uint (uint32), float (float32), string[],
    /// float[] or int[].
    /// </summary>
    public static void Write(string path, uint version, IReadOnlyList<KeyValuePair<string, object>> metadata, IReadOnlyList<TensorSpec> tensors)
    {
        if (version is < 1 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "GGUF versions 1 to 3 can be written");
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(version);
        WriteCount(w, version, (ulong)tensors.Count);
        WriteCount(w, version, (ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(w, version, key);
            WriteValue(w, version, value);
        }

        long offset = 0;
        var offsets = new long[tensors.Count];
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            WriteString(w, version, t.Name);
            w.Write((uint)t.Shape.Length);
            foreach (var d in t.Shape)
            {
                if (version == 1)
                {
                    w.Write((uint)d);
                }
                else
                {
                    w.Write((ulong)d);
                }
            }

            w.Write((uint)t.Type);
            offsets[i] = offset;
            w.Write((ulong)offset);
            offset += Align(WeightTensor.ByteSize(t.Type, (long)t.Cols * t.RowCount));
        }

        Pad(w);
        var row = new float[tensors.Count == 0 ? 0 : MaxCols(tensors)];
        var bytes = new byte[WeightTensor.ByteSize(TensorType.F32, row.Length)];
        var dataStart = stream.Position;
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            var rowBytes = (int)WeightTensor.ByteSize(t.Type, t.Cols);
            for (var r = 0; r < t.RowCount; r++)
            {
                var values = row.AsSpan(0, t.Cols);
                t.FillRow(r, values);
                Encode(t.Type, values, bytes.AsSpan(0, rowBytes));
                w.Write(bytes, 0, rowBytes);
            }

            Pad(w);
            if (i + 1 < tensors.Count && stream.Position - dataStart != offsets[i + 1])
            {
                throw new InvalidOperationException("GGUF writer offset mismatch");
            }
        }
    }

    /// <summary>Stores a row in <paramref name="type"/>.</summary>
    public static void Encode(TensorType type, ReadOnlySpan<float> values, Span<byte> destination)
    {
        switch (type)
        {
            case TensorType.F32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(destination);
                break;
            case TensorType.F16:
                var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(destination);
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves[..values.Length]);
                break;
            case TensorType.Q8_0:
                Q8Block.QuantizeRow(values, destination);
                break;
            default:
                throw new NotSupportedException(type.ToString());
        }
    }

    private static int MaxCols(IReadOnlyList<TensorSpec> tensors)
    {
        var max = 0;
        foreach (var t in tensors)
        {
            max = Math.Max(max, t.Cols);
        }

        return max;
    }

    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        var position = w.BaseStream.Position;
        var padding = Align(position) - position;
        for (var i = 0; i < padding; i++)
        {
            w.Write((byte)0);
        }
    }

    private static void WriteCount(BinaryWriter w, uint version, ulong count)
    {
        if (version == 1)
        {
            w.Write((uint)count);
        }
        else
        {
            w.Write(count);
        }
    }

    private static void WriteString(BinaryWriter w, uint version, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        WriteCount(w, version, (ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, uint version, object value)
    {
        switch (value)
        {
            case string s:
                w.Write((uint)GgufValueType.String);
                WriteString(w, version, s);
                break;
            case bool b:
                w.Write((uint)GgufValueType.Bool);
                w.Write(b);
                break;
            case int i:
                w.Write((uint)GgufValueType.Int32);
                w.Write(i);
                break;
            case uint u:
                w.Write((uint)GgufValueType.UInt32);
                w.Write(u);
                break;
            case float f:
                w.Write((uint)GgufValueType.Float32);
                w.Write(f);
                break;
            case string[] strings:
                w.Write((uint)GgufValueType.Array);
                w.Write((uint)GgufValueType.String);
                WriteCount(w, version, (ulong)strings.Length);
                foreach (var s in strings)
                {
                    WriteString(w, version, s);
                }

                break;
            case float[] floats:
                w.Write((uint)GgufValueType.Array);
                w.Write((uint)GgufValueType.Float32);
                WriteCount(w, version, (ulong)floats.Length);
                foreach (var f in floats)
                {
                    w.Write(f);
                }

                break;
            case int[] ints:
                w.Write((uint)GgufValueType.Array);
                w.Write((uint)GgufValueType.Int32);
                WriteCount(w, version, (ulong)ints.Length);
                foreach (var i in ints)
                {
                    w.Write(i);
                }

                break;
            default:
                throw new NotSupportedException($"GGUF metadata value of type {value.GetType()}");
        }
    }
}
