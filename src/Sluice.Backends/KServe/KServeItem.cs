namespace Sluice.Backends.KServe;

/// <summary>A parsed job input for a KServe v2 model: one tensor per model input.</summary>
internal sealed record KServeItem(KServeTensor[] Tensors)
{
    /// <summary>True when both items can share one batched call (same inputs, same shapes).</summary>
    public bool Compatible(KServeItem other)
    {
        if (Tensors.Length != other.Tensors.Length)
        {
            return false;
        }

        for (var i = 0; i < Tensors.Length; i++)
        {
            if (!Tensors[i].SameShape(other.Tensors[i]))
            {
                return false;
            }
        }

        return true;
    }
}
