namespace Sluice.Core.Models;

/// <summary>
/// One sequence in flight inside a generative model (it owns its KV cache blocks, sampler and decoder state).
/// Disposing it returns its resources to the model.
/// </summary>
public interface IGenerationSequence : IDisposable
{
    /// <summary>The request it serves.</summary>
    GenerationRequest Request { get; }

    /// <summary>Tokens in the prompt (for usage reporting).</summary>
    int PromptTokens { get; }

    /// <summary>Tokens generated so far.</summary>
    int GeneratedTokens { get; }

    /// <summary>
    /// Why the sequence ended with <see cref="FinishReason.Error"/> (shown as the job's error); null gives a
    /// generic message. Remote backends put the upstream's answer here.
    /// </summary>
    string? Error => null;

    /// <summary>Why the sequence ended with <see cref="FinishReason.Error"/>, one of <see cref="Jobs.JobErrorCodes"/>; null: <c>model_error</c>.</summary>
    string? ErrorCode => null;

    /// <summary>False when retrying the job cannot help (the upstream refused the request as invalid).</summary>
    bool ErrorRetryable => true;

    /// <summary>
    /// For a retryable error: how long from now the job should not run again (a remote backend's open circuit until its
    /// next trial call, an upstream's <c>Retry-After</c>); null leaves the retry to the job's backoff alone. The retry
    /// is scheduled no earlier than this (nor later than the job's deadline), so attempts are not spent in quick
    /// succession on an upstream that is known to refuse them.
    /// </summary>
    TimeSpan? RetryAfter => null;

    /// <summary>
    /// True when the sequence ended with an error before the model did any work for it (a remote backend's open
    /// circuit refused the call): the job can run on another model without repeating anything.
    /// </summary>
    bool Refused => false;
}
