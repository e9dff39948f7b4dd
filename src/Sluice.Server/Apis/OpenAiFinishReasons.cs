namespace Sluice.Server.Apis;

/// <summary>
/// Every <c>finish_reason</c> the OpenAI-compatible endpoints write (<see cref="OpenAiResult.FinishName"/> maps the
/// model's reasons onto them): one closed set, declared as an enum in the OpenAPI document.
/// </summary>
internal static class OpenAiFinishReasons
{
    /// <summary>The model ended: end of sequence or a stop string.</summary>
    public const string Stop = "stop";

    /// <summary><c>max_tokens</c> or the context length was reached.</summary>
    public const string Length = "length";

    /// <summary>A remote provider's content filter ended it.</summary>
    public const string ContentFilter = "content_filter";

    public static readonly string[] All = [Stop, Length, ContentFilter];
}
