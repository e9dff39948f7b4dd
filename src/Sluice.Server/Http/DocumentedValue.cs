using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// The schema of a header or query value a handler validates itself. A fresh <see cref="OpenApiSchema"/> is built for
/// each use, since transformers may edit the one they are given.
/// </summary>
internal sealed record DocumentedValue(JsonSchemaType Type)
{
    public static DocumentedValue String { get; } = new(JsonSchemaType.String);

    public static DocumentedValue Integer { get; } = new(JsonSchemaType.Integer) { Format = "int32" };

    public string? Format { get; init; }

    public long? Minimum { get; init; }

    public long? Maximum { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    public string? Pattern { get; init; }

    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>A <see cref="long"/>, <see cref="bool"/> or <see cref="string"/>.</summary>
    public object? Default { get; init; }

    public OpenApiSchema ToSchema() => new()
    {
        Type = Type,
        Format = Format,
        Minimum = Minimum?.ToString(CultureInfo.InvariantCulture),
        Maximum = Maximum?.ToString(CultureInfo.InvariantCulture),
        MinLength = MinLength,
        MaxLength = MaxLength,
        Pattern = Pattern,
        Enum = Enum?.Select(static e => (JsonNode)JsonValue.Create(e)).ToList(),
        Default = Default switch
        {
            long n => JsonValue.Create(n),
            bool b => JsonValue.Create(b),
            string s => JsonValue.Create(s),
            _ => null,
        },
    };
}
