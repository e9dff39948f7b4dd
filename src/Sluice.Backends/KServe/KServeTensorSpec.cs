namespace Sluice.Backends.KServe;

/// <summary>An input or output tensor as the model's metadata declares it (<c>-1</c> marks a variable dimension).</summary>
public sealed record KServeTensorSpec(string Name, string Datatype, long[] Shape);
