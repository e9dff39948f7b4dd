namespace Sluice.Server.Admission;

/// <summary>
/// Endpoint metadata: the endpoint is a job's event stream, which also admits that job's stream token
/// (<see cref="StreamTokens.QueryName"/>). Every other endpoint refuses a stream token.
/// </summary>
internal sealed class StreamTokenAccepted
{
    public static readonly StreamTokenAccepted Instance = new();

    private StreamTokenAccepted()
    {
    }
}
