using Sluice.Core.Jobs;

namespace Sluice.Core.Queueing;

/// <summary>
/// A job waiting in a model's queue. <see cref="Parsed"/> carries the model's parsed input when the job was
/// submitted in this process (no second parse); a transport that crosses processes leaves it null.
/// </summary>
public sealed class QueuedJob
{
    public required string Id { get; init; }
    public required string Model { get; init; }
    public required JobPriority Priority { get; init; }

    /// <summary>Input JSON text (parsed again by the worker when <see cref="Parsed"/> is null).</summary>
    public required string InputJson { get; init; }

    /// <summary>Absolute deadline, if any.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>When the job entered the queue (for queue-wait time and aging).</summary>
    public required DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>
    /// When the job was accepted (the client's submission, or an operator's requeue of its dead letter), for
    /// <c>sluice_job_duration_seconds</c>. Unlike <see cref="EnqueuedAt"/>, which the embedded queue's retry moves to
    /// when the retry falls due, it stays put across retries, fallback moves, restart recovery and the broker. Unset
    /// (a message of an older Sluice), it is <see cref="EnqueuedAt"/>.
    /// </summary>
    public DateTimeOffset AcceptedAt
    {
        get => _acceptedAt ?? EnqueuedAt;
        init => _acceptedAt = value;
    }

    private readonly DateTimeOffset? _acceptedAt;

    /// <summary>Attempts already started before this delivery.</summary>
    public int Attempts { get; init; }

    /// <summary>Attempts allowed.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Owner key id (for per-key accounting on the worker).</summary>
    public string Owner { get; init; } = "anonymous";

    /// <summary>Trace context of the submitting request.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Result-cache key when the request is deterministic.</summary>
    public string? CacheKey { get; init; }

    /// <summary>The model's parsed input, when available.</summary>
    public object? Parsed { get; set; }

    /// <summary>
    /// True when the job came through a fallback-capable route (the OpenAI endpoints, tasks) and may therefore move
    /// to its model's fallback if the model is unusable when the job reaches execution. Journaled with the job
    /// (<see cref="JobRecord.FallbackAllowed"/>) and carried in the broker's message, so a job recovered from the store
    /// (after a crash, or by the broker's republish sweep) may still move; cleared by the move itself.
    /// </summary>
    public bool FallbackAllowed { get; init; }

    /// <summary>Transport-specific delivery state (a RabbitMQ delivery tag …).</summary>
    public object? Delivery { get; init; }

    /// <summary>The journaled job queued again (recovery at start, the republish sweep): its input is parsed again.</summary>
    public static QueuedJob FromRecord(JobRecord record) => FromRecord(record, record.CreatedAt, record.Attempts);

    /// <summary>
    /// A dead letter an operator requeued (its record's attempts reset): queued and accepted anew at
    /// <paramref name="now"/>, so its duration does not count again the time its dead letter already recorded.
    /// </summary>
    public static QueuedJob Requeued(JobRecord record, DateTimeOffset now) => FromRecord(record, now, attempts: 0);

    private static QueuedJob FromRecord(JobRecord record, DateTimeOffset acceptedAt, int attempts) => new()
    {
        Id = record.Id,
        Model = record.Model,
        Priority = record.Priority,
        InputJson = record.InputJson,
        Deadline = record.Deadline,
        EnqueuedAt = acceptedAt,
        AcceptedAt = acceptedAt,
        Attempts = attempts,
        MaxAttempts = record.MaxAttempts,
        Owner = record.Owner,
        TraceParent = record.TraceParent,
        CacheKey = record.CacheKey,
        FallbackAllowed = record.FallbackAllowed,
    };

    /// <summary>
    /// The job moved to <paramref name="model"/> (a fallback), with that model's input: a new delivery, not counted as
    /// an attempt, keeping its enqueue time (the client waits from the submission); no cache key (it named the first
    /// model) and no further move.
    /// </summary>
    public QueuedJob MovedTo(string model, string inputJson, object? parsed) => new()
    {
        Id = Id,
        Model = model,
        Priority = Priority,
        InputJson = inputJson,
        Deadline = Deadline,
        EnqueuedAt = EnqueuedAt,
        AcceptedAt = AcceptedAt,
        Attempts = Attempts,
        MaxAttempts = MaxAttempts,
        Owner = Owner,
        TraceParent = TraceParent,
        Parsed = parsed,
    };

    /// <summary>
    /// A copy for another delivery with <paramref name="attempts"/> and, optionally, a new enqueue time or transport
    /// state (<see cref="Delivery"/> is kept unless <paramref name="replaceDelivery"/>); the parsed input and the
    /// acceptance time are kept (a requeue, a new acceptance, sets <see cref="AcceptedAt"/> on the copy itself).
    /// </summary>
    public QueuedJob With(int attempts, DateTimeOffset? enqueuedAt = null, bool replaceDelivery = false, object? delivery = null) => new()
    {
        Id = Id,
        Model = Model,
        Priority = Priority,
        InputJson = InputJson,
        Deadline = Deadline,
        EnqueuedAt = enqueuedAt ?? EnqueuedAt,
        AcceptedAt = AcceptedAt,
        Attempts = attempts,
        MaxAttempts = MaxAttempts,
        Owner = Owner,
        TraceParent = TraceParent,
        CacheKey = CacheKey,
        Parsed = Parsed,
        FallbackAllowed = FallbackAllowed,
        Delivery = replaceDelivery ? delivery : Delivery,
    };
}
