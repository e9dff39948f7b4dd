using System.Text.Json;
using Sluice.Core.Jobs;

namespace Sluice.Core.Scheduling;

/// <summary>A validated-at-the-edge submission (the API has checked shapes; the model checks the input).</summary>
public sealed record SubmitRequest
{
    public required string Model { get; init; }
    public required JsonElement Input { get; init; }
    public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>Relative deadline in milliseconds (null: the model's default).</summary>
    public int? DeadlineMs { get; init; }

    public required string Owner { get; init; }
    public string? IdempotencyKey { get; init; }

    /// <summary>Hash of the whole request body (for idempotency-key reuse checks).</summary>
    public string? BodyHash { get; init; }

    /// <summary>
    /// The body <see cref="BodyHash"/> covers, with the top-level fields it reads null as absent: a key stored before the
    /// hash covered the endpoint holds <see cref="Caching.CacheKeys.LegacyBodyHash"/> of it, computed only on a mismatch.
    /// </summary>
    public JsonElement HashedBody { get; init; }

    /// <inheritdoc cref="HashedBody"/>
    public string[] HashedNullFields { get; init; } = [];

    public string? TraceParent { get; init; }

    /// <summary>False lets a client bypass the result cache.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// The request was routed through a fallback chain (OpenAI endpoints, tasks): if its model is unusable when the
    /// job reaches execution, the job runs on the fallback. <c>POST /v1/jobs</c> leaves it false.
    /// </summary>
    public bool FallbackAllowed { get; init; }

    /// <summary>Generative models: a request already built (OpenAI endpoints); skips input parsing.</summary>
    public Models.GenerationRequest? Generation { get; init; }
}
