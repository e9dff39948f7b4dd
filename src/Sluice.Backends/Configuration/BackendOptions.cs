namespace Sluice.Backends.Configuration;

/// <summary>One external model server (<c>Sluice:Backends:{name}</c>); the name is the model name clients use.</summary>
public sealed class BackendOptions
{
    /// <summary><c>openai</c>, <c>ollama</c> or <c>kserve-v2</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Root of the upstream (<c>https://api.openai.com/v1</c>, <c>http://127.0.0.1:11434</c>, <c>http://triton:8000</c>).</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Bearer key sent upstream (openai); never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model's name on the upstream; defaults to the backend name.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>openai: <c>chat</c> (default: <c>/chat/completions</c>) or <c>completions</c> (<c>/completions</c>, prompt only).</summary>
    public string Api { get; set; } = "chat";

    /// <summary>ollama: register every model <c>/api/tags</c> lists as <c>{name}.{tag}</c> (instead of one model).</summary>
    public bool Discover { get; set; }

    /// <summary>Most requests in flight to the upstream at once (also the continuous batcher's <c>max_num_seqs</c>).</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>kserve-v2: most items merged into one upstream call.</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>kserve-v2: longest wait for a batch to fill, in milliseconds.</summary>
    public double MaxQueueDelayMs { get; set; } = 5;

    /// <summary>kserve-v2: whether the model takes a leading batch dimension (null: read from its metadata, -1 first dim).</summary>
    public bool? BatchDimension { get; set; }

    /// <summary>TCP connect timeout, seconds.</summary>
    public double ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Longest wait for the upstream's response headers (and, for one-shot calls, the whole answer), seconds.</summary>
    public double RequestTimeoutSeconds { get; set; } = 60;

    /// <summary>Streaming: longest silence between two chunks before the stream counts as dropped, seconds.</summary>
    public double StreamIdleTimeoutSeconds { get; set; } = 60;

    /// <summary>Retries after the first attempt, for calls where a retry is safe.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First retry delay (exponential with jitter after it), milliseconds.</summary>
    public double RetryBaseDelayMs { get; set; } = 200;

    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the window before the ratio is judged.</summary>
    public int BreakerMinimumThroughput { get; set; } = 5;

    /// <summary>Sampling window of the breaker, seconds.</summary>
    public double BreakerSamplingSeconds { get; set; } = 30;

    /// <summary>How long the circuit stays open before one trial call, seconds.</summary>
    public double BreakerCooldownSeconds { get; set; } = 15;

    /// <summary>Health probe period, seconds (0 disables probing).</summary>
    public double HealthProbeIntervalSeconds { get; set; } = 10;

    /// <summary>Model used instead of this one while it is unhealthy or overloaded, and for a queued job its upstream asks to wait (<c>Retry-After</c>) longer than the job's backoff (any model name, local or remote).</summary>
    public string? Fallback { get; set; }

    /// <summary>Queued jobs at which this model counts as overloaded and new requests go to <see cref="Fallback"/> (0: only when the queue is full).</summary>
    public int FallbackQueueDepth { get; set; }

    /// <summary>Whether greedy or seeded requests may be answered from the result cache.</summary>
    public bool Deterministic { get; set; } = true;

    /// <summary>One line for <c>GET /v1/models</c>.</summary>
    public string? Description { get; set; }
}
