using System.Text.Json.Serialization;

namespace Sluice.Core;

/// <summary>Source-generated JSON metadata for the small values Core serialises on hot paths.</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
