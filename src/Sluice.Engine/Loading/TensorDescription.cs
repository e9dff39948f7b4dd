namespace Sluice.Engine.Loading;

/// <summary>Name, shape (GGML order: fastest dimension first), type and file offset of one tensor.</summary>
internal sealed record TensorDescription(string Name, long[] Shape, TensorType Type, long Offset)
{
    public long Elements
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }
}
