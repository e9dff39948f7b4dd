namespace Sluice.Bench.Targets;

/// <summary>Everything needed to build a target.</summary>
internal sealed record TargetSpec
{
    /// <summary>Kind of target.</summary>
    public TargetKind Kind { get; init; } = TargetKind.Job;

    /// <summary>Server base URL (Sluice kinds) or the full URL (<see cref="TargetKind.Http"/>).</summary>
    public required Uri Url { get; init; }

    /// <summary>Model name (Sluice kinds).</summary>
    public string Model { get; init; } = "echo";

    /// <summary>JSON of the model input (Sluice kinds except chat).</summary>
    public string InputJson { get; init; } = """{"text":"hello"}""";

    /// <summary>Job priority: high, normal or low.</summary>
    public string Priority { get; init; } = "normal";

    /// <summary>Chat: the user message.</summary>
    public string Prompt { get; init; } = "Once upon a time";

    /// <summary>Chat: tokens to generate.</summary>
    public int MaxTokens { get; init; } = 32;

    /// <summary>HTTP: method.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>HTTP: request body, or null.</summary>
    public string? Body { get; init; }

    /// <summary>
    /// Job kinds: let the server answer from its result cache (<c>"cache": true</c>). Off by default, so every request
    /// runs the model: a deterministic model with one fixed input is otherwise a cache hit after the first request.
    /// </summary>
    public bool UseResultCache { get; init; }

    /// <summary>Job kinds: where jobs are submitted (e.g. <c>/v1/essays</c>); default <c>/v1/jobs</c>.</summary>
    public string SubmitPath { get; init; } = "/v1/jobs";

    /// <summary>Job kinds: the whole submit body, replacing the generated <c>{model, input, priority, deadline_ms}</c>.</summary>
    public string? SubmitBody { get; init; }

    /// <summary>
    /// What the result rows and chart legends name: the model for the Sluice kinds, the request for
    /// <see cref="TargetKind.Http"/>, which sends no model (labelling it with <c>--model</c>'s default, <c>echo</c>,
    /// said a model ran that did not).
    /// </summary>
    public string SeriesName => Kind == TargetKind.Http ? $"{Method.ToUpperInvariant()} {Url.PathAndQuery}" : Model;

    /// <summary>Hosts besides loopback the user explicitly allowed.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
}
