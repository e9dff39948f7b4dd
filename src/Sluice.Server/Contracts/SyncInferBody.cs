using System.Text.Json;

namespace Sluice.Server.Contracts;

/// <summary>Body of the synchronous inference endpoint.</summary>
/// <param name="Input">The model's input.</param>
public sealed record SyncInferBody(JsonElement Input);
