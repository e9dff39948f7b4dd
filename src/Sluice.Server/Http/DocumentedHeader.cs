namespace Sluice.Server.Http;

/// <summary>A response header a handler sets, for the OpenAPI document.</summary>
internal sealed record DocumentedHeader(string Name, string Description, DocumentedValue Value)
{
    /// <summary>Sent with every 429 and with the 503s of transient causes (model loading, store or broker down).</summary>
    public static DocumentedHeader RetryAfter { get; } = new("Retry-After",
        "Seconds to wait before retrying (an integer, at least 1).", DocumentedValue.Integer with { Minimum = 1 });

    /// <summary>Sent with every 401 of the admission filter.</summary>
    public static DocumentedHeader WwwAuthenticate { get; } = new("WWW-Authenticate",
        "'Bearer': send the key as 'Authorization: Bearer KEY' (or 'X-Api-Key').", DocumentedValue.String);
}
