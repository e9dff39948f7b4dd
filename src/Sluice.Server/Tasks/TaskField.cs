namespace Sluice.Server.Tasks;

/// <summary>One field of a task's input schema.</summary>
internal sealed record TaskField(string Name, TaskFieldType Type, bool Required, string Description)
{
    /// <summary>Longest string (characters) or largest integer.</summary>
    public int Max { get; init; } = 20_000;

    /// <summary>Smallest integer.</summary>
    public int Min { get; init; }

    /// <summary>Integer default when absent.</summary>
    public int? Default { get; init; }

    public string JsonType => Type switch
    {
        TaskFieldType.Integer => "integer",
        TaskFieldType.Object => "object",
        TaskFieldType.StringOrList => "string | string[]",
        _ => "string",
    };
}
