namespace Sluice.Server.Http;

/// <summary>
/// Endpoint metadata: the endpoint ignores query parameters it does not read instead of refusing them
/// (<see cref="UnknownQueryFilter"/>). Only the OpenAI-compatible endpoints carry it, since OpenAI's SDKs and the
/// gateways in front of them may add parameters of their own (Azure's <c>api-version</c>).
/// </summary>
internal sealed class AnyQueryAccepted
{
    public static readonly AnyQueryAccepted Instance = new();

    private AnyQueryAccepted()
    {
    }
}
