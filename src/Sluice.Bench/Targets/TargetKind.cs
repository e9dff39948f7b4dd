namespace Sluice.Bench.Targets;

/// <summary>What a bench run talks to.</summary>
internal enum TargetKind
{
    /// <summary>Any HTTP URL.</summary>
    Http,

    /// <summary>Sluice job API: submit with <c>Prefer: wait</c> and wait for the finished job (poll if it comes back 202).</summary>
    Job,

    /// <summary>Sluice job API: submit, then follow the job's SSE events to the end.</summary>
    JobStream,

    /// <summary>Sluice synchronous inference (<c>POST /v1/models/{model}/infer</c>): no queue, no batching.</summary>
    Infer,

    /// <summary>OpenAI-style <c>POST /v1/chat/completions</c> with <c>stream: true</c>.</summary>
    Chat,
}
