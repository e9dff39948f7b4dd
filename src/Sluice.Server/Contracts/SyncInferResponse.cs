using System.Text.Json;

namespace Sluice.Server.Contracts;

/// <summary>Answer of the synchronous (unqueued) inference endpoint.</summary>
public sealed record SyncInferResponse(string Model, JsonElement Result, double RunMs);
