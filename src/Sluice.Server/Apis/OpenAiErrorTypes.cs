namespace Sluice.Server.Apis;

/// <summary>
/// Every <c>error.type</c> the OpenAI-compatible endpoints write (answers and stream error chunks). One closed set, so
/// the OpenAPI document can declare it as an enum and a new type cannot appear without the document saying so.
/// </summary>
internal static class OpenAiErrorTypes
{
    /// <summary>The request is wrong (400, 401, 404, 405, 409, 413, 415), or the upstream refused it.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>The server, a model or an upstream failed or is unavailable (500, 502, 503).</summary>
    public const string Server = "server_error";

    /// <summary>The model's queue is full (429).</summary>
    public const string ServerOverloaded = "server_overloaded";

    /// <summary>The generation, or the upstream, did not finish in time (504).</summary>
    public const string Timeout = "timeout";

    /// <summary>The key's request rate limit (429), as OpenAI names it.</summary>
    public const string Requests = "requests";

    /// <summary>The key's token budget (429), as OpenAI names it.</summary>
    public const string Tokens = "tokens";

    public static readonly string[] All = [InvalidRequest, Server, ServerOverloaded, Timeout, Requests, Tokens];
}
