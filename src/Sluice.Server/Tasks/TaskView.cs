using System.Text.Json;

namespace Sluice.Server.Tasks;

/// <summary>A task template as <c>GET /v1/tasks</c> shows it.</summary>
public sealed record TaskView(
    string Name,
    string Object,
    int Version,
    string Description,
    string? Seed,
    IReadOnlyDictionary<string, TaskFieldView> Input,
    IReadOnlyList<string>? Lanes,
    string DefaultPriority,
    int DefaultMaxTokens,
    float DefaultTemperature,
    string? Model,
    JsonElement Example);
