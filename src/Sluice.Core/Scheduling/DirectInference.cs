using System.Text;
using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Runs one input on a model inside the HTTP request, with no queue and no batching: the "synchronous" baseline
/// of seed 004's comparison (and a debugging aid). It shares the model's execution lock with the batcher, so it
/// never runs concurrently with a batch. A generative sequence is timed as the continuous batcher times a job's
/// (time to first token, inter-token gaps, tokens generated), from its acceptance here; it is no job, so it has
/// no job duration or outcome (<c>sluice_http_request_duration_seconds</c> times the whole request).
/// </summary>
public sealed class DirectInference(ModelRegistry registry, SluiceMetrics metrics, TimeProvider time)
{
    public async ValueTask<DirectResult> RunAsync(string model, JsonElement input, CancellationToken cancellationToken)
    {
        if (!registry.TryGet(model, out var entry))
        {
            return new DirectResult(DirectStatus.UnknownModel);
        }

        if (entry.State != ModelState.Ready || entry.Model is null)
        {
            return new DirectResult(DirectStatus.ModelUnavailable, Detail: $"model '{model}' is {entry.State.ToString().ToLowerInvariant()}");
        }

        switch (entry.Model)
        {
            case IBatchModel batchModel:
            {
                if (!batchModel.TryParseInput(input, out var parsed, out var error))
                {
                    return new DirectResult(DirectStatus.InvalidInput, Error: error);
                }

                var batch = new InferenceBatch(1, null);
                batch.Add(null, parsed, cancellationToken);
                await entry.ExecutionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await batchModel.InferAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    entry.ExecutionLock.Release();
                }

                return batch.Results[0] is { } r
                    ? new DirectResult(DirectStatus.Succeeded, r)
                    : new DirectResult(DirectStatus.Failed, Detail: batch.Errors[0] ?? "no result", ErrorCode: batch.Codes[0] ?? JobErrorCodes.ModelError, RetryAfter: batch.RetryAfter[0]);
            }

            case IGenerativeModel gen:
            {
                if (!gen.TryParseInput(input, out var request, out var error) || !gen.TryValidate(request, out error))
                {
                    return new DirectResult(DirectStatus.InvalidInput, Error: error);
                }

                // Accepted: the sequence's time to first token runs from here, as a job's from its acceptance.
                var accepted = time.GetTimestamp();
                var modelTag = new KeyValuePair<string, object?>("model", entry.Name);
                if (!gen.TryStartSequence(request, out var seq))
                {
                    return new DirectResult(DirectStatus.ModelUnavailable, Detail: "no KV-cache room");
                }

                using (seq)
                {
                    var text = new StringBuilder();
                    var one = new IGenerationSequence[] { seq };
                    var outputs = new StepOutput[1];
                    var reason = FinishReason.None;
                    var timer = default(TokenTimer);
                    while (reason == FinishReason.None)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        outputs[0] = default;
                        await entry.ExecutionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                        try
                        {
                            gen.Step(one, outputs);
                        }
                        finally
                        {
                            entry.ExecutionLock.Release();
                        }

                        if (outputs[0].GeneratedTokens > 0)
                        {
                            // Under the request's span, the exemplar's trace.
                            var end = time.GetTimestamp();
                            if (timer.Record(end, metrics, time, modelTag))
                            {
                                metrics.TimeToFirstToken.Record(time.GetElapsedTime(accepted, end).TotalSeconds, modelTag);
                            }

                            metrics.TokensGenerated.Add(outputs[0].GeneratedTokens, modelTag);
                        }

                        text.Append(outputs[0].Delta);
                        reason = outputs[0].Finish;
                    }

                    if (reason == FinishReason.Error)
                    {
                        // A failed sequence (a remote backend's upstream error, its open circuit) is a failure, not a
                        // result with finish_reason "error": the caller maps it to a problem (503 for an open circuit).
                        return new DirectResult(DirectStatus.Failed, Detail: seq.Error ?? "the model reported an error for this sequence", ErrorCode: seq.ErrorCode ?? JobErrorCodes.ModelError, RetryAfter: seq.RetryAfter);
                    }

                    var json = $"{{\"text\":{JsonSerializer.Serialize(text.ToString(), CoreJsonContext.Default.String)},\"finish_reason\":\"{ContinuousBatcher.ReasonName(reason)}\",\"usage\":{{\"prompt_tokens\":{seq.PromptTokens},\"completion_tokens\":{seq.GeneratedTokens},\"total_tokens\":{seq.PromptTokens + seq.GeneratedTokens}}}}}";
                    return new DirectResult(DirectStatus.Succeeded, json);
                }
            }

            default:
                return new DirectResult(DirectStatus.ModelUnavailable);
        }
    }
}
