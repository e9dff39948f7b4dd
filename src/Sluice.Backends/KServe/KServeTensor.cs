using System.Text.Json;

namespace Sluice.Backends.KServe;

/// <summary>One item's value for one input tensor: its shape (without a batch dimension) and its elements, flattened.</summary>
internal sealed record KServeTensor(string Name, string Datatype, int[] Shape, JsonElement[] Data)
{
    public bool SameShape(KServeTensor other) => Name == other.Name && Datatype == other.Datatype && Shape.AsSpan().SequenceEqual(other.Shape);
}
