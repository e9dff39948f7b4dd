using System.Buffers.Binary;
using System.Text;

namespace Sluice.Engine.Loading;

/// <summary>
/// A parsed GGUF header: metadata and tensor directory. Versions 1, 2 and 3 are read; version 1 uses 32-bit
/// counts, string lengths and dimensions where later versions use 64-bit ones. Every read is bounds-checked so a
/// truncated or corrupt file gives a <see cref="ModelFormatException"/> naming the offset.
/// </summary>
internal sealed unsafe class GgufFile
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Most elements of one metadata array: 16 times the largest vocabularies in use.</summary>
    internal const ulong MaxArrayElements = 1 << 22;

    private readonly MappedFile _file;
    private long _offset;

    private GgufFile(MappedFile file)
    {
        _file = file;
    }

    public uint Version { get; private set; }

    /// <summary>Metadata values: string, long, ulong, double, bool, or object[] for arrays.</summary>
    public Dictionary<string, object> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Where each metadata value starts (its type field), so an error about a value can name the offset.</summary>
    public Dictionary<string, long> MetadataOffsets { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensors in file order, with absolute offsets.</summary>
    public List<TensorDescription> Tensors { get; } = [];

    /// <summary>Absolute offset of the tensor data section.</summary>
    public long DataOffset { get; private set; }

    public static GgufFile Read(MappedFile file)
    {
        var gguf = new GgufFile(file);
        gguf.Parse();
        return gguf;
    }

    private void Parse()
    {
        var magic = U32("the GGUF magic");
        if (magic != Magic)
        {
            throw Error(0, $"expected the GGUF magic \"GGUF\" but found 0x{magic:X8}");
        }

        Version = U32("the GGUF version");
        if (Version is < 1 or > 3)
        {
            throw Error(4, $"unsupported GGUF version {Version} (this engine reads versions 1, 2 and 3)");
        }

        var tensorCount = Count("the tensor count");
        var kvCount = Count("the metadata count");
        if (tensorCount > 100_000 || kvCount > 100_000)
        {
            throw Error(8, $"implausible counts: {tensorCount} tensors, {kvCount} metadata entries (corrupt header?)");
        }

        for (ulong i = 0; i < kvCount; i++)
        {
            var key = String($"metadata key {i}");
            var typeOffset = _offset;
            var type = (GgufValueType)U32($"the type of {key}");
            Metadata[key] = Value(type, key, typeOffset, depth: 0);
            MetadataOffsets[key] = typeOffset;
        }

        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = String($"tensor name {i}");
            var dimsOffset = _offset;
            var nDims = U32($"the dimension count of {name}");
            if (nDims is 0 or > 4)
            {
                throw Error(dimsOffset, $"tensor {name}: expected 1 to 4 dimensions but found {nDims}");
            }

            var shape = new long[nDims];
            for (var d = 0; d < nDims; d++)
            {
                var dimOffset = _offset;
                var n = Version == 1 ? U32($"dimension {d} of {name}") : U64($"dimension {d} of {name}");
                if (n == 0 || n > int.MaxValue)
                {
                    throw Error(dimOffset, $"tensor {name}: dimension {d} is {n}");
                }

                shape[d] = (long)n;
            }

            var typeOffset = _offset;
            var type = U32($"the type of {name}");
            if (type is not ((uint)TensorType.F32 or (uint)TensorType.F16 or (uint)TensorType.Q8_0))
            {
                throw Error(typeOffset, $"tensor {name}: unsupported GGML type {type} (supported: F32=0, F16=1, Q8_0=8)");
            }

            var offset = U64($"the data offset of {name}");
            Tensors.Add(new TensorDescription(name, shape, (TensorType)type, (long)offset));
        }

        // Read as the integer it must be: Convert.ToInt64 failed a string or array value with a bare FormatException
        // or InvalidCastException, and a UInt64 past long.MaxValue with an OverflowException.
        var alignment = 32L;
        if (Metadata.TryGetValue("general.alignment", out var a))
        {
            alignment = a switch
            {
                long l => l,
                ulong u when u <= long.MaxValue => (long)u,
                _ => -1,
            };
            if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            {
                throw Error(MetadataOffsets["general.alignment"], $"general.alignment {Describe(a)} is not a power of two");
            }
        }

        DataOffset = (_offset + alignment - 1) / alignment * alignment;
        for (var i = 0; i < Tensors.Count; i++)
        {
            var t = Tensors[i];
            var absolute = DataOffset + t.Offset;
            if (t.Type == TensorType.Q8_0 && t.Shape[0] % Q8Block.Size != 0)
            {
                throw Error(DataOffset, $"tensor {t.Name}: Q8_0 rows of {t.Shape[0]} values are not a multiple of {Q8Block.Size}");
            }

            var bytes = WeightTensor.ByteSize(t.Type, t.Elements);
            // Compared by subtraction: an offset near long.MaxValue wrapped DataOffset + offset negative, passed, and
            // the weights were then read from an address outside the mapping.
            if (t.Offset < 0 || t.Offset > _file.Length - DataOffset)
            {
                // Reported as stored: added to the data section's start, such an offset printed as a negative number.
                throw Error(DataOffset, $"tensor {t.Name}: data offset {(ulong)t.Offset} (from the data section at {DataOffset}) lies past the end of the file ({_file.Length} bytes)");
            }

            if (bytes > _file.Length - absolute)
            {
                throw Error(absolute, $"truncated: tensor {t.Name} ({string.Join('x', t.Shape)} {t.Type}) needs {bytes} bytes at offset {absolute} but the file ends at {_file.Length}");
            }

            Tensors[i] = t with { Offset = absolute };
        }
    }

    private object Value(GgufValueType type, string key, long at, int depth)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return (long)Bytes(1, key)[0];
            case GgufValueType.Int8: return (long)(sbyte)Bytes(1, key)[0];
            case GgufValueType.UInt16: return (long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, key));
            case GgufValueType.Int16: return (long)BinaryPrimitives.ReadInt16LittleEndian(Bytes(2, key));
            case GgufValueType.UInt32: return (long)U32(key);
            case GgufValueType.Int32: return (long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, key));
            case GgufValueType.Float32: return (double)BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, key));
            case GgufValueType.Bool: return Bytes(1, key)[0] != 0;
            case GgufValueType.String: return String(key);
            case GgufValueType.UInt64: return U64(key);
            case GgufValueType.Int64: return BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, key));
            case GgufValueType.Float64: return BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8, key));
            case GgufValueType.Array when depth == 0:
                var elementOffset = _offset;
                var elementType = (GgufValueType)U32($"the element type of {key}");
                if (ElementBytes(elementType) is not { } elementBytes)
                {
                    // Checked before the count: an array of an unknown type (or of arrays) was allocated first.
                    throw Error(elementOffset, elementType == GgufValueType.Array
                        ? $"{key}: arrays of arrays are not supported"
                        : $"{key}: unsupported array element type {(uint)elementType}");
                }

                var countOffset = _offset;
                var count = Count($"the element count of {key}");
                var remaining = (ulong)(_file.Length - _offset);
                if (count > remaining / (ulong)elementBytes)
                {
                    // Every element takes at least elementBytes (a string its length field), so this bounds the
                    // allocation by the file's size before anything is allocated.
                    throw Error(countOffset, $"{key}: array of {count} {elementType} elements needs at least {elementBytes} bytes each but only {remaining} bytes remain in the file (truncated or corrupt count)");
                }

                if (count > MaxArrayElements)
                {
                    // Within the file but absurd: each element is a boxed object, so a count near the file's size
                    // allocated gigabytes for a large file (vocabularies have at most a few hundred thousand entries).
                    throw Error(countOffset, $"{key}: array of {count} elements is more than this engine reads ({MaxArrayElements}; corrupt count?)");
                }

                var items = new object[count];
                for (ulong i = 0; i < count; i++)
                {
                    items[i] = Value(elementType, key, elementOffset, depth + 1);
                }

                return items;
            default:
                throw Error(at, $"{key}: unsupported metadata value type {(uint)type}");
        }
    }

    /// <summary>Fewest bytes one element of an array takes, or null for a type arrays cannot hold here.</summary>
    private int? ElementBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        GgufValueType.String => Version == 1 ? 4 : 8,
        _ => null,
    };

    /// <summary>A metadata value as an error message shows it: arrays by their length, strings quoted.</summary>
    internal static string Describe(object value) => value switch
    {
        object[] array => $"(an array of {array.Length} elements)",
        string text => $"\"{(text.Length > 40 ? text[..40] + "…" : text)}\" (a string)",
        bool b => b ? "true (a bool)" : "false (a bool)",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private ulong Count(string what) => Version == 1 ? U32(what) : U64(what);

    private string String(string what)
    {
        var at = _offset;
        var length = Count($"the length of {what}");
        if (length > int.MaxValue || (long)length > _file.Length - _offset)
        {
            throw Error(at, $"truncated or corrupt: {what}: string length {length} runs past the end of the file ({_file.Length} bytes)");
        }

        return Encoding.UTF8.GetString(Bytes((int)length, what));
    }

    private uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

    private ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

    private ReadOnlySpan<byte> Bytes(int count, string what)
    {
        if (_offset + count > _file.Length)
        {
            throw Error(_offset, $"truncated: expected {what} ({count} bytes) but the file ends at {_file.Length}");
        }

        var span = new ReadOnlySpan<byte>(_file.Pointer + _offset, count);
        _offset += count;
        return span;
    }

    private ModelFormatException Error(long offset, string problem) => new(_file.Path, offset, problem);
}
