namespace Sluice.Server.Admission;

/// <summary>What <see cref="StreamTokens.Check"/> found in a presented stream token.</summary>
internal enum StreamTokenCheck
{
    /// <summary>Signed by a configured key, for this job, not expired.</summary>
    Valid,

    /// <summary>Not a stream token, or not signed by any configured key (a removed or rotated key's tokens end here).</summary>
    Invalid,

    /// <summary>Genuine, but issued for another job.</summary>
    OtherJob,

    /// <summary>Genuine, for this job, past its expiry.</summary>
    Expired,
}
