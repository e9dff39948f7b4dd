using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Grading.Serving;

/// <summary>The one JSON form of <see cref="GradeResult"/> (snake_case), shared by the server, the CLI and tests.</summary>
internal static class GradeResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    public static JsonElement ToElement(GradeResult result) => JsonSerializer.SerializeToElement(result, Options);

    public static string ToJson(GradeResult result, bool indented = false) => JsonSerializer.Serialize(result, indented ? Indented : Options);
}
