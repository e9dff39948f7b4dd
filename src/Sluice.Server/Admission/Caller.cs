namespace Sluice.Server.Admission;

/// <summary>Who is calling: the key id (owner of jobs) and its limits.</summary>
public sealed record Caller(string Id, double RequestsPerSecond, double Burst, double TokensPerMinute)
{
    public static readonly Caller Anonymous = new("anonymous", 0, 0, 0);
}
