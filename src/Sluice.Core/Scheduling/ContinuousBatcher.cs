using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Tracing;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Continuous (iteration-level) batching for generative models, as vLLM and TGI do: before every step, new
/// sequences join up to <c>max_num_seqs</c> (and while the model has KV-cache room); after every step, finished,
/// cancelled and expired sequences leave and free their slot, so no request waits for another to finish.
/// </summary>
internal sealed partial class ContinuousBatcher
{
    private readonly ModelEntry _entry;
    private readonly IGenerativeModel _model;
    private readonly IJobQueueReader _reader;
    private readonly JobLifecycle _lifecycle;
    private readonly SluiceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<ActiveSequence> _active = [];

    public ContinuousBatcher(ModelEntry entry, IGenerativeModel model, IJobQueueReader reader, JobLifecycle lifecycle, SluiceMetrics metrics, ILogger logger)
    {
        _entry = entry;
        _model = model;
        _reader = reader;
        _lifecycle = lifecycle;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (await RunLoopAsync(stopping).ConfigureAwait(false) && !stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>The batching loop; returns true when it died of an unexpected error and should be restarted.</summary>
    private async Task<bool> RunLoopAsync(CancellationToken stopping)
    {
        var restart = false;
        var maxSeqs = Math.Max(1, Math.Min(_entry.Settings.MaxNumSeqs, _model.MaxSequences));
        var sequences = new IGenerationSequence[maxSeqs];
        var outputs = new StepOutput[maxSeqs];
        var admitJobs = new QueuedJob[maxSeqs];
        var admitLives = new LiveJob[maxSeqs];
        var admitSeqs = new IGenerationSequence[maxSeqs];
        QueuedJob? pending = null;
        LiveJob? pendingLive = null;
        // The pending job's room_wait span (a child of its run span) while it waits for room; ends however the wait ends.
        Activity? roomWait = null;
        // Newly admitted sequences whose start is being stored: they hold their slots but join the batch only once the
        // store has said they may run, so a slow durable write never pauses the sequences already running.
        Task<int>? starting = null;
        var startingCount = 0;
        // The job being admitted, and the sequences admitted but not yet handed to a start: taken off the queue, so a
        // failure of the loop (or a stop) must settle them too, not leave them in no queue.
        QueuedJob? inHand = null;
        LiveJob? inHandLive = null;
        var admitted = 0;
        var time = _lifecycle.Time;
        var modelTag = new KeyValuePair<string, object?>("model", _entry.Name);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (_active.Count == 0 && pending is null && starting is null && !await _reader.WaitToReadAsync(stopping).ConfigureAwait(false))
                {
                    return false;
                }

                // Joined once stored; awaited only when nothing else could step meanwhile.
                if (starting is not null && (starting.IsCompleted || _active.Count == 0))
                {
                    var kept = await starting.ConfigureAwait(false);
                    starting = null;
                    startingCount = 0;
                    Join(admitJobs, admitLives, admitSeqs, kept, time);
                }

                // Admit: fill free slots, oldest-highest priority first; a job that does not fit the KV budget waits at
                // the head. One group of starts is stored at a time: the next group is admitted once it has joined.
                admitted = 0;
                while (starting is null && _active.Count + admitted < maxSeqs)
                {
                    QueuedJob job;
                    LiveJob live;
                    if (pending is not null)
                    {
                        job = pending;
                        live = pendingLive!;
                        pending = null;
                        if (live.Cancellation.IsCancellationRequested)
                        {
                            SluiceTracing.EndWait(roomWait);
                            roomWait = null;
                            // A DELETE or its deadline may have stored the outcome already (it holds no delivery): this
                            // delivery is let go either way.
                            _ = _lifecycle.FinishAsync(job, _reader, live.CancelStatus, null, "cancelled before it started", null, 0, letGoWhenSettledElsewhere: true);
                            continue;
                        }

                        // Not judged again: it was when read, and it may hold the circuit's trial run itself (judged
                        // again, its own claim would send it away). A call the circuit refuses still moves it.
                    }
                    else if (_reader.TryRead(out var next))
                    {
                        if (!_lifecycle.ShouldRun(next, _reader, out live))
                        {
                            continue;
                        }

                        // Judged here, not only at submission: a model can become unusable while the job waits.
                        if (next.FallbackAllowed && _lifecycle.TryReroute(next, _reader, live))
                        {
                            continue;
                        }

                        job = next;
                    }
                    else
                    {
                        break;
                    }

                    inHand = job;
                    inHandLive = live;
                    if (!TryGetRequest(job, live, out var request))
                    {
                        inHand = null;
                        continue;
                    }

                    IGenerationSequence? sequence;
                    bool started;
                    // The run span begins here, before the start is stored: a remote model's upstream call begins in
                    // TryStartSequence, and is a child of it (the call carries the job's trace to the upstream). A job
                    // that waits for a slot keeps its span for the next try; every way out of the run ends it.
                    live.RunSpan ??= SluiceTracing.StartRun(job, time.GetUtcNow(), _active.Count + admitted + 1);
                    var caller = Activity.Current;
                    Activity.Current = live.RunSpan ?? caller;
                    // A waiting job's wait ends when the try that finds room begins (not after its upstream call began).
                    var tried = roomWait is null ? default : DateTime.UtcNow;
                    try
                    {
                        started = _model.TryStartSequence(request, out sequence);
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                    {
                        // The model refused this request outright (it failed validation): fail it, keep the loop.
                        SluiceTracing.EndWait(roomWait);
                        roomWait = null;
                        inHand = null;
                        _ = _lifecycle.FailAsync(job, _reader, live, ex.Message, retryable: false, 0, 0, errorCode: JobErrorCodes.InvalidInput);
                        continue;
                    }
                    finally
                    {
                        Activity.Current = caller;
                    }

                    // From here the job is failed, waiting (pending) or admitted: no longer only in hand.
                    inHand = null;
                    if (!started)
                    {
                        if (_active.Count + admitted == 0)
                        {
                            SluiceTracing.EndWait(roomWait);
                            roomWait = null;
                            _ = _lifecycle.FailAsync(job, _reader, live, "the request does not fit the model's KV-cache budget even alone", retryable: false, 0, 0, errorCode: JobErrorCodes.InvalidInput);
                            continue;
                        }

                        // No room until a running sequence leaves: it waits at the head, its run span open, so the
                        // wait gets a span of its own (a trace tells it from generating).
                        pending = job;
                        pendingLive = live;
                        roomWait ??= SluiceTracing.StartRoomWait(live.RunSpan, _entry.Name);
                        break;
                    }

                    SluiceTracing.EndWait(roomWait, tried);
                    roomWait = null;

                    admitJobs[admitted] = job;
                    admitLives[admitted] = live;
                    admitSeqs[admitted] = sequence!;
                    admitted++;
                }

                if (admitted > 0)
                {
                    starting = StartAsync(admitJobs, admitLives, admitSeqs, admitted, stopping);
                    startingCount = admitted;
                    admitted = 0;
                    if (starting.IsCompleted || _active.Count == 0)
                    {
                        var kept = await starting.ConfigureAwait(false);
                        starting = null;
                        startingCount = 0;
                        Join(admitJobs, admitLives, admitSeqs, kept, time);
                    }
                }

                // Leave: cancelled or expired sequences free their slot before the step.
                for (var i = _active.Count - 1; i >= 0; i--)
                {
                    var a = _active[i];
                    if (a.Live.Cancellation.IsCancellationRequested)
                    {
                        Finish(a, a.Live.CancelStatus == JobStatus.Expired ? FinishReason.Length : FinishReason.Cancelled, a.Live.CancelStatus, time);
                        _active.RemoveAt(i);
                    }
                }

                var count = _active.Count;
                Interlocked.Exchange(ref _entry.InFlight, count + startingCount);
                // _active keeps admission order: its first sequence is the oldest still running.
                Volatile.Write(ref _entry.BusySince, count > 0 ? _active[0].StartTimestamp : ModelEntry.Idle);
                if (count == 0)
                {
                    continue;
                }

                for (var i = 0; i < count; i++)
                {
                    sequences[i] = _active[i].Sequence;
                    outputs[i] = default;
                }

                // Timed from before the wait: for a remote model the wait is where its tokens take their time.
                var start = time.GetTimestamp();
                await _model.WaitForOutputAsync(stopping).ConfigureAwait(false);
                await _entry.ExecutionLock.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    _model.Step(sequences.AsSpan(0, count), outputs.AsSpan(0, count));
                }
                catch (Exception ex)
                {
                    Log.StepFailed(_logger, ex, _entry.Name, count);
                    for (var i = count - 1; i >= 0; i--)
                    {
                        var a = _active[i];
                        a.Sequence.Dispose();
                        _ = _lifecycle.FailAsync(a.Job, _reader, a.Live, $"{ex.GetType().Name}: {ex.Message}", retryable: true, count, time.GetElapsedTime(a.StartTimestamp).TotalMilliseconds);
                    }

                    _active.Clear();
                    continue;
                }
                finally
                {
                    _entry.ExecutionLock.Release();
                }

                var end = time.GetTimestamp();
                var stepMs = time.GetElapsedTime(start, end).TotalMilliseconds;
                _entry.Latency.Observe(count, stepMs);
                _metrics.StepDuration.Record(stepMs / 1000, modelTag);
                _metrics.BatchSize.Record(count, modelTag);
                var tokens = 0;
                for (var i = count - 1; i >= 0; i--)
                {
                    var a = _active[i];
                    ref var output = ref outputs[i];
                    tokens += output.GeneratedTokens;
                    a.TokensHeld += output.GeneratedTokens;
                    if (output.GeneratedTokens > 0)
                    {
                        RecordTokenLatency(a, end, modelTag, time);
                    }

                    if (!string.IsNullOrEmpty(output.Delta))
                    {
                        // The tokens of steps that streamed nothing (text held back) travel with the text they became.
                        a.Text.Append(output.Delta);
                        _lifecycle.Delta(a.Live, output.Delta, a.TokensHeld);
                        a.TokensStreamed += a.TokensHeld;
                        a.TokensHeld = 0;
                    }

                    if (output.Finish != FinishReason.None)
                    {
                        var status = output.Finish switch
                        {
                            FinishReason.Cancelled => JobStatus.Cancelled,
                            FinishReason.Error => JobStatus.Failed,
                            _ => JobStatus.Succeeded,
                        };
                        Finish(a, output.Finish, status, time);
                        _active.RemoveAt(i);
                    }

                    sequences[i] = null!;
                }

                if (tokens > 0)
                {
                    _metrics.TokensGenerated.Add(tokens, modelTag);
                }

                // Finished sequences have left: report the batch as it is now, not as it was during the step.
                Interlocked.Exchange(ref _entry.InFlight, _active.Count + startingCount);
                Volatile.Write(ref _entry.BusySince, _active.Count > 0 ? _active[0].StartTimestamp : ModelEntry.Idle);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: running jobs stay unfinished in the store and are recovered on restart.
        }
        catch (Exception ex)
        {
            // A bug in the loop itself: fail the running sequences (retryable) and restart the loop.
            Log.LoopFailed(_logger, ex, _entry.Name);
            var error = $"{ex.GetType().Name}: {ex.Message}";
            foreach (var a in _active)
            {
                _ = _lifecycle.FailAsync(a.Job, _reader, a.Live, error, retryable: true, _active.Count, 0);
            }

            // A wait for room ends with the loop, whether the job waiting was back in hand when it failed or not.
            SluiceTracing.EndWait(roomWait);
            roomWait = null;
            if (pending is not null && pendingLive is not null)
            {
                _ = _lifecycle.FailAsync(pending, _reader, pendingLive, error, retryable: true, 0, 0);
                pending = null;
            }

            if (inHand is not null && inHandLive is not null)
            {
                _ = _lifecycle.FailAsync(inHand, _reader, inHandLive, error, retryable: true, 0, 0);
                inHand = null;
            }

            for (var i = 0; i < admitted; i++)
            {
                _ = _lifecycle.FailAsync(admitJobs[i], _reader, admitLives[i], error, retryable: true, 0, 0);
                admitSeqs[i].Dispose();
                admitSeqs[i] = null!;
            }

            admitted = 0;

            if (starting is not null)
            {
                var kept = await SettleStartingAsync(starting).ConfigureAwait(false);
                starting = null;
                for (var i = 0; i < kept; i++)
                {
                    _ = _lifecycle.FailAsync(admitJobs[i], _reader, admitLives[i], error, retryable: true, 0, 0);
                    admitSeqs[i].Dispose();
                    admitSeqs[i] = null!;
                }
            }

            restart = true;
        }
        finally
        {
            if (starting is not null)
            {
                // Stopping: the starts were stored (or not) with the stopping token; either way the jobs stay unfinished
                // in the store and are recovered on restart, like the running ones.
                var kept = await SettleStartingAsync(starting).ConfigureAwait(false);
                for (var i = 0; i < kept; i++)
                {
                    admitSeqs[i].Dispose();
                }

                // Their run spans began before the starts were stored. The ones stored are running and end with the
                // graceful stop's hand-back; the ones the stop kept from starting end here, handed back too.
                for (var i = 0; i < startingCount; i++)
                {
                    if (admitLives[i] is { Running: false } unstarted)
                    {
                        SluiceTracing.EndRun(unstarted.TakeRunSpan(), SluiceTracing.ReleasedOutcome, null, failed: false);
                    }
                }
            }

            SluiceTracing.EndWait(roomWait);
            roomWait = null;
            if (pending is not null && pendingLive is not null)
            {
                // Stopping while it waited for room: it never started and stays queued, but its run span had begun.
                SluiceTracing.EndRun(pendingLive.TakeRunSpan(), SluiceTracing.ReleasedOutcome, null, failed: false);
            }

            // Stopping with a job in hand or admitted but not yet starting: never started, so queued in the store
            // and recovered on restart like the ones waiting; their run spans had begun.
            if (inHandLive is not null && inHand is not null)
            {
                SluiceTracing.EndRun(inHandLive.TakeRunSpan(), SluiceTracing.ReleasedOutcome, null, failed: false);
            }

            for (var i = 0; i < admitted; i++)
            {
                admitSeqs[i].Dispose();
                SluiceTracing.EndRun(admitLives[i].TakeRunSpan(), SluiceTracing.ReleasedOutcome, null, failed: false);
            }

            foreach (var a in _active)
            {
                a.Sequence.Dispose();
            }

            _active.Clear();
            Volatile.Write(ref _entry.BusySince, ModelEntry.Idle);
        }

        return restart;
    }

    /// <summary>
    /// Times a step that gave <paramref name="a"/> tokens (<see cref="TokenTimer"/>): its first such step is its time to
    /// first token, from the job's enqueue time as queued (the client's acceptance, but after the embedded queue's retry
    /// or a requeue); every later one is one inter-token gap.
    /// </summary>
    private void RecordTokenLatency(ActiveSequence a, long end, KeyValuePair<string, object?> modelTag, TimeProvider time)
    {
        if (a.Tokens.Record(end, _metrics, time, modelTag))
        {
            // Wall clock against the stored enqueue time (another process's, with a broker): never negative under skew.
            var ttft = Math.Max(0, (time.GetUtcNow() - a.Job.EnqueuedAt).TotalSeconds);
            // Once per sequence, with its run span current, so the exemplar (OpenMetrics) points at the job's trace.
            var outer = SluiceTracing.MakeCurrent(a.Live.RunSpan);
            _metrics.TimeToFirstToken.Record(ttft, modelTag);
            SluiceTracing.Restore(a.Live.RunSpan, outer);
        }
    }

    /// <summary>Adds the first <paramref name="kept"/> admitted sequences (the ones the store let start) to the batch.</summary>
    private void Join(QueuedJob[] jobs, LiveJob[] lives, IGenerationSequence[] seqs, int kept, TimeProvider time)
    {
        var now = time.GetTimestamp();
        for (var i = 0; i < kept; i++)
        {
            _active.Add(new ActiveSequence(jobs[i], lives[i], seqs[i], now));
            jobs[i] = null!;
            lives[i] = null!;
            seqs[i] = null!;
        }
    }

    /// <summary>
    /// Waits out a group of starts the loop is leaving behind: how many admitted sequences it kept, which the caller
    /// still holds. A group that threw (the stopping token) has disposed all of its sequences itself.
    /// </summary>
    private static async ValueTask<int> SettleStartingAsync(Task<int> starting)
    {
        try
        {
            return await starting.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    private async Task<int> StartAsync(QueuedJob[] jobs, LiveJob[] lives, IGenerationSequence[] seqs, int count, CancellationToken stopping)
    {
        // StartAsync compacts jobs/lives; keep sequences aligned by id.
        var byId = new Dictionary<string, IGenerationSequence>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            byId[jobs[i].Id] = seqs[i];
            seqs[i] = null!;
        }

        int kept;
        try
        {
            kept = await _lifecycle.StartAsync(jobs, lives, count, _reader, stopping).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping while the starts were stored: the jobs stay unfinished in the store (recovered on restart).
            foreach (var sequence in byId.Values)
            {
                sequence.Dispose();
            }

            throw;
        }

        for (var i = 0; i < kept; i++)
        {
            seqs[i] = byId[jobs[i].Id];
            byId.Remove(jobs[i].Id);
        }

        foreach (var dropped in byId.Values)
        {
            dropped.Dispose();
        }

        return kept;
    }

    private void Finish(ActiveSequence a, FinishReason reason, JobStatus status, TimeProvider time)
    {
        var runMs = time.GetElapsedTime(a.StartTimestamp).TotalMilliseconds;
        var prompt = a.Sequence.PromptTokens;
        var completion = a.Sequence.GeneratedTokens;
        // Read before Dispose: a remote sequence's error explains the failure better than a generic message.
        var error = a.Sequence.Error;
        var retryable = a.Sequence.ErrorRetryable;
        var retryAfter = a.Sequence.RetryAfter;
        var errorCode = a.Sequence.ErrorCode;
        var refused = a.Sequence.Refused;
        a.Sequence.Dispose();
        if (status == JobStatus.Succeeded)
        {
            // Tokens that never became streamed text (a matched stop string and what was held before it, an end token) are
            // counted by a last delta without text, so the deltas' counts add up to the usage the completed event reports.
            var unstreamed = completion - a.TokensStreamed;
            if (unstreamed > 0)
            {
                _lifecycle.Delta(a.Live, "", unstreamed);
            }

            // Only runs the model ended itself: a cancelled or expired one says nothing about how long a slot stays taken.
            _entry.RunLatency.Observe(1, runMs);
            var result = string.Create(CultureInfo.InvariantCulture,
                $"{{\"text\":{JsonSerializer.Serialize(a.Text.ToString(), CoreJsonContext.Default.String)},\"finish_reason\":\"{ReasonName(reason)}\",\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion}}}}}");
            _ = _lifecycle.SucceedAsync(a.Job, _reader, result, _active.Count, runMs, a.Live, cacheable: reason != FinishReason.ContentFilter);
        }
        else if (status == JobStatus.Failed)
        {
            // Refused before any work (admitted just as the circuit opened): the fallback takes it instead of a failure.
            if (refused && a.Job.FallbackAllowed && _lifecycle.TryReroute(a.Job, _reader, a.Live))
            {
                return;
            }

            _ = _lifecycle.FailAsync(a.Job, _reader, a.Live, error ?? "the model reported an error for this sequence", retryable, _active.Count, runMs, retryAfter, errorCode);
        }
        else
        {
            _ = _lifecycle.FinishAsync(a.Job, _reader, status, null, status == JobStatus.Expired ? "deadline passed while generating" : "cancelled while generating", _active.Count, runMs, run: a.Live);
        }
    }

    private bool TryGetRequest(QueuedJob job, LiveJob live, out GenerationRequest request)
    {
        if (job.Parsed is GenerationRequest parsed)
        {
            request = parsed;
            return true;
        }

        request = null!;
        try
        {
            using var doc = JsonDocument.Parse(job.InputJson);
            if (_model.TryParseInput(doc.RootElement.Clone(), out var r, out var error) && _model.TryValidate(r, out error))
            {
                job.Parsed = r;
                request = r;
                return true;
            }

            _ = _lifecycle.FailAsync(job, _reader, live, $"{error.Field}: {error.Message}", retryable: false, 0, 0, errorCode: JobErrorCodes.InvalidInput);
        }
        catch (JsonException ex)
        {
            _ = _lifecycle.FailAsync(job, _reader, live, "stored input is not valid JSON: " + ex.Message, retryable: false, 0, 0, errorCode: JobErrorCodes.InvalidInput);
        }

        return false;
    }

    internal static string ReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Cancelled => "cancelled",
        FinishReason.Error => "error",
        FinishReason.ContentFilter => "content_filter",
        _ => "none",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Continuous batching loop of model {Model} failed; restarting it")]
        public static partial void LoopFailed(ILogger logger, Exception exception, string model);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Step of {Count} sequences on model {Model} failed")]
        public static partial void StepFailed(ILogger logger, Exception exception, string model, int count);
    }
}
