using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Sluice.Server.Contracts;

/// <summary>Source-generated JSON for every API type (snake_case, nulls omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, MaxDepth = Http.JsonBody.MaxDepth * 2)]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(JobList))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(SyncInferResponse))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(WsEvent))]
[JsonSerializable(typeof(string))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
