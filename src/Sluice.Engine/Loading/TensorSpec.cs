namespace Sluice.Engine.Loading;

/// <summary>
/// A tensor to write: name, GGML shape (fastest dimension first), stored type and a callback that fills one row
/// (Shape[0] values) as float32 by row index.
/// </summary>
internal sealed record TensorSpec(string Name, long[] Shape, TensorType Type, Action<int, Span<float>> FillRow)
{
    public int Cols => (int)Shape[0];

    public int RowCount => Shape.Length == 1 ? 1 : (int)(Shape[1] * (Shape.Length > 2 ? Shape[2] : 1));
}
