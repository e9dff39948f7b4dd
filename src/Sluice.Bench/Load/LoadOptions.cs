namespace Sluice.Bench.Load;

/// <summary>One load stage: a closed loop at one concurrency, or an open loop following one rate profile.</summary>
internal sealed record LoadOptions
{
    /// <summary>Longest run the bench accepts for one stage (warm-up plus duration).</summary>
    public static readonly TimeSpan MaxStageLength = TimeSpan.FromHours(1);

    /// <summary>Longest per-request deadline the bench accepts.</summary>
    public static readonly TimeSpan MaxRequestDeadline = TimeSpan.FromMinutes(10);

    /// <summary>Largest request count the bench accepts for one stage.</summary>
    public const long MaxRequestsLimit = 100_000_000;

    /// <summary>Label shown in tables and charts ("c=10", "rate=200").</summary>
    public string Label { get; init; } = "stage";

    /// <summary>Closed or open loop.</summary>
    public LoadMode Mode { get; init; } = LoadMode.Closed;

    /// <summary>Closed loop: number of concurrent users.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Open loop: the arrival-rate profile (requests per second over time).</summary>
    public ILoadProfile? Profile { get; init; }

    /// <summary>Open loop: most requests in flight at once; arrivals beyond it wait in the client (and that wait counts as latency).</summary>
    public int MaxInFlight { get; init; } = 512;

    /// <summary>Open loop: most arrivals waiting for a free slot; beyond it arrivals are dropped by the client and counted.</summary>
    public int MaxBacklog { get; init; } = 10_000;

    /// <summary>Traffic sent before measuring starts (not recorded).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Measured time.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many measured requests even if the duration is not over.</summary>
    public long MaxRequests { get; init; } = 1_000_000;

    /// <summary>Per-request deadline; a request still running then is cancelled and counted as a timeout.</summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest <see cref="InterruptGrace"/> the bench accepts.</summary>
    public static readonly TimeSpan MaxInterruptGrace = TimeSpan.FromMinutes(1);

    /// <summary>
    /// After Ctrl+C: how long requests already in flight may still finish (and count as they end) before they are
    /// cancelled; no new request is sent from the moment Ctrl+C comes.
    /// </summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Closed loop: pause between a user's requests.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.Zero;

    /// <summary>Width of one point of the latency-over-time series.</summary>
    public TimeSpan TimelineWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Seed of the Poisson arrivals, so runs are repeatable.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Throws when the stage is not bounded or not well formed; messages name <c>./sluice bench</c>'s options.</summary>
    public void Validate()
    {
        if (Mode == LoadMode.Closed && (Concurrency < 1 || Concurrency > 100_000))
        {
            throw new BenchConfigurationException($"--concurrency must be between 1 and 100000 users (got {Concurrency}).");
        }

        if (Mode == LoadMode.Open && Profile is null)
        {
            throw new BenchConfigurationException("An open-loop stage needs --rate or --profile.");
        }

        if (Mode == LoadMode.Open && MaxInFlight < 1)
        {
            throw new BenchConfigurationException($"--max-in-flight must be at least 1 (got {MaxInFlight}).");
        }

        if (Mode == LoadMode.Open && MaxBacklog < 1)
        {
            throw new BenchConfigurationException($"The open-loop backlog must be at least 1 (got {MaxBacklog}).");
        }

        if (Duration <= TimeSpan.Zero || Warmup < TimeSpan.Zero || Warmup + Duration > MaxStageLength)
        {
            throw new BenchConfigurationException($"--duration must be more than 0 and --warmup + --duration at most {Seconds(MaxStageLength)} (got {Seconds(Warmup)} + {Seconds(Duration)}).");
        }

        if (MaxRequests < 1 || MaxRequests > MaxRequestsLimit)
        {
            throw new BenchConfigurationException($"--requests must be between 1 and {MaxRequestsLimit} (got {MaxRequests}).");
        }

        if (RequestDeadline <= TimeSpan.Zero || RequestDeadline > MaxRequestDeadline)
        {
            throw new BenchConfigurationException($"--deadline must be more than 0 and at most {Seconds(MaxRequestDeadline)} (got {Seconds(RequestDeadline)}).");
        }

        if (InterruptGrace < TimeSpan.Zero || InterruptGrace > MaxInterruptGrace)
        {
            throw new BenchConfigurationException($"--interrupt-grace must be between 0 and {Seconds(MaxInterruptGrace)} (got {Seconds(InterruptGrace)}).");
        }

        if (ThinkTime < TimeSpan.Zero || TimelineWindow <= TimeSpan.Zero)
        {
            throw new BenchConfigurationException("--think must not be negative and the timeline window must be positive.");
        }
    }

    private static string Seconds(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###} s");
}
