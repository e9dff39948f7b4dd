namespace Sluice.Engine.Loading;

/// <summary>Element types the engine reads (values are GGML's type ids).</summary>
internal enum TensorType
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
}
