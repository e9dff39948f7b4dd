using System.Text.Json.Serialization;

namespace Sluice.Server.Tasks;

/// <summary>Source-generated JSON for the task listing (snake_case, nulls omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskList))]
[JsonSerializable(typeof(TaskView))]
internal sealed partial class TasksJsonContext : JsonSerializerContext;
