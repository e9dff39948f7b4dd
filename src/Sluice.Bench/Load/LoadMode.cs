namespace Sluice.Bench.Load;

/// <summary>How requests are generated.</summary>
internal enum LoadMode
{
    /// <summary>A fixed number of users, each sending its next request when the previous one finished (plus think time).</summary>
    Closed,

    /// <summary>Requests arrive on a schedule (Poisson, following a rate profile) whether or not earlier ones finished.</summary>
    Open,
}
