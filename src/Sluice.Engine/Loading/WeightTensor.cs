namespace Sluice.Engine.Loading;

/// <summary>
/// A 2-D weight matrix stored row-major as (rows, cols), i.e. (out, in), pointing into a mapped file or a pinned
/// array. Quantized types stay quantized: kernels dequantize a few rows at a time, never the whole model.
/// </summary>
internal readonly unsafe struct WeightTensor
{
    public WeightTensor(string name, byte* data, int rows, int cols, TensorType type, float* panels = null)
    {
        Name = name;
        Data = data;
        Rows = rows;
        Cols = cols;
        Type = type;
        Panels = panels;
    }

    /// <summary>Tensor name (GGUF name, or llama2.c field and layer).</summary>
    public string Name { get; }

    /// <summary>First byte of row 0.</summary>
    public byte* Data { get; }

    /// <summary>Address of row 0 (for identity checks outside unsafe code).</summary>
    public nint Address => (nint)Data;

    /// <summary>Output features.</summary>
    public int Rows { get; }

    /// <summary>Input features.</summary>
    public int Cols { get; }

    public TensorType Type { get; }

    /// <summary>
    /// The same matrix as float32 in the kernels' panel layout (<see cref="Inference.MatMulKernels.PackPanel"/>),
    /// packed once at load; null when the kernels pack it a group of panels at a time as they go.
    /// </summary>
    public float* Panels { get; }

    /// <summary>This tensor with its packed panels at <paramref name="panels"/>.</summary>
    public WeightTensor WithPanels(float* panels) => new(Name, Data, Rows, Cols, Type, panels);

    /// <summary>Bytes of one row.</summary>
    public long RowBytes => ByteSize(Type, Cols);

    /// <summary>Bytes in a tensor of <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public static long ByteSize(TensorType type, long count) => type switch
    {
        TensorType.F32 => count * 4,
        TensorType.F16 => count * 2,
        TensorType.Q8_0 => count / Q8Block.Size * Q8Block.Bytes,
        _ => throw new NotSupportedException(type.ToString()),
    };

    /// <summary>Writes row <paramref name="row"/> as float32 into <paramref name="destination"/> (length <see cref="Cols"/>).</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        var src = Data + row * RowBytes;
        switch (Type)
        {
            case TensorType.F32:
                new ReadOnlySpan<float>(src, Cols).CopyTo(destination);
                break;
            case TensorType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, Cols), destination);
                break;
            case TensorType.Q8_0:
                Q8Block.DequantizeRow(src, destination[..Cols]);
                break;
            default:
                throw new NotSupportedException(Type.ToString());
        }
    }
}
