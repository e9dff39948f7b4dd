using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Tracing;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Dynamic batching for one-shot models. Takes every job waiting (up to <c>max_batch_size</c>, counted in items),
/// waits at most <c>max_queue_delay</c> from the oldest job's arrival for more, sheds jobs that the latency model
/// (a + b·n fitted on recent batches) says cannot finish before their deadline, shrinks the batch when the oldest
/// deadline needs it, and runs one batch at a time. While a batch runs, new jobs queue up, so under load batches
/// fill by themselves without waiting.
/// </summary>
internal sealed partial class DynamicBatcher
{
    private readonly ModelEntry _entry;
    private readonly IBatchModel _model;
    private readonly IJobQueueReader _reader;
    private readonly JobLifecycle _lifecycle;
    private readonly SluiceMetrics _metrics;
    private readonly ILogger _logger;

    public DynamicBatcher(ModelEntry entry, IBatchModel model, IJobQueueReader reader, JobLifecycle lifecycle, SluiceMetrics metrics, ILogger logger)
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
        var max = Math.Max(1, _entry.Settings.MaxBatchSize);
        var jobs = new QueuedJob[max];
        var lives = new LiveJob[max];
        var batch = new InferenceBatch(max, _lifecycle);
        var time = _lifecycle.Time;
        var modelTag = new KeyValuePair<string, object?>("model", _entry.Name);
        var maxDelay = TimeSpan.FromMilliseconds(Math.Max(0, _entry.Settings.MaxQueueDelayMs));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!await _reader.WaitToReadAsync(stopping).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var n = 0;
            try
            {
                n = Fill(jobs, lives, 0, max);
                if (n > 0 && n < max && maxDelay > TimeSpan.Zero)
                {
                    // Cork: hold the oldest job at most max_queue_delay for the batch to fill.
                    var oldest = jobs[0].EnqueuedAt;
                    for (var i = 1; i < n; i++)
                    {
                        if (jobs[i].EnqueuedAt < oldest)
                        {
                            oldest = jobs[i].EnqueuedAt;
                        }
                    }

                    while (n < max)
                    {
                        var remaining = maxDelay - (time.GetUtcNow() - oldest);
                        if (remaining <= TimeSpan.Zero)
                        {
                            break;
                        }

                        try
                        {
                            await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? remaining : TimeSpan.FromMilliseconds(1), time, stopping).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }

                        n = Fill(jobs, lives, n, max);
                    }
                }

                if (n == 0)
                {
                    continue;
                }

                n = ShedForDeadlines(jobs, lives, n, time.GetUtcNow());
                if (n == 0)
                {
                    continue;
                }

                n = await _lifecycle.StartAsync(jobs, lives, n, _reader, stopping).ConfigureAwait(false);
                if (n == 0)
                {
                    continue;
                }

                batch.Reset();
                var kept = 0;
                for (var i = 0; i < n; i++)
                {
                    if (jobs[i].Parsed is null && !TryParse(jobs[i], lives[i]))
                    {
                        continue;
                    }

                    jobs[kept] = jobs[i];
                    lives[kept] = lives[i];
                    batch.Add(lives[kept], jobs[kept].Parsed!, lives[kept].Cancellation.Token);
                    kept++;
                }

                n = kept;
                if (n == 0)
                {
                    continue;
                }

                Interlocked.Exchange(ref _entry.InFlight, n);
                var start = time.GetTimestamp();
                Volatile.Write(ref _entry.BusySince, start);
                string? batchError = null;
                Exception? batchException = null;
                await _entry.ExecutionLock.WaitAsync(stopping).ConfigureAwait(false);
                var batchSpan = SluiceTracing.StartBatch(_entry.Name, lives, n);
                var ms = -1d;
                try
                {
                    await _model.InferAsync(batch, stopping).ConfigureAwait(false);
                    ms = time.GetElapsedTime(start).TotalMilliseconds;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // Shutting down: the jobs stay running in the store and are recovered on restart.
                    return;
                }
                catch (Exception ex)
                {
                    ms = time.GetElapsedTime(start).TotalMilliseconds;
                    batchException = ex;
                    batchError = $"{ex.GetType().Name}: {ex.Message}";
                    Log.BatchFailed(_logger, ex, _entry.Name, n);
                }
                finally
                {
                    if (ms >= 0)
                    {
                        // Recorded while the batch span is still current (a stopped one cannot be), so the bucket's
                        // exemplar (OpenMetrics) leads to the batch's trace, whose links lead to each job's run.
                        _metrics.RunDuration.Record(ms / 1000, modelTag);
                    }

                    SluiceTracing.EndBatch(batchSpan, batchException);
                    _entry.ExecutionLock.Release();
                    Interlocked.Exchange(ref _entry.InFlight, 0);
                    Volatile.Write(ref _entry.BusySince, ModelEntry.Idle);
                }

                _entry.Latency.Observe(n, ms);
                _metrics.BatchSize.Record(n, modelTag);
                for (var i = 0; i < n; i++)
                {
                    var live = lives[i];
                    if (live.Cancellation.IsCancellationRequested)
                    {
                        _ = _lifecycle.FinishAsync(jobs[i], _reader, live.CancelStatus, null, live.CancelError(running: true), n, ms, run: live);
                    }
                    else if (batchError is null && batch.Results[i] is { } result)
                    {
                        _ = _lifecycle.SucceedAsync(jobs[i], _reader, result, n, ms, live);
                    }
                    else
                    {
                        var error = batchError ?? batch.Errors[i] ?? "the model returned no result for this item";
                        _ = _lifecycle.FailAsync(jobs[i], _reader, live, error, batchError is not null || batch.Retryable[i], n, ms,
                            batchError is null ? batch.RetryAfter[i] : null, batchError is null ? batch.Codes[i] : null);
                    }

                    jobs[i] = null!;
                    lives[i] = null!;
                }
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // Never let one bad batch stop the model's loop: fail what it held (retryable) and go on.
                Log.LoopFailed(_logger, ex, _entry.Name);
                var error = $"{ex.GetType().Name}: {ex.Message}";
                for (var i = 0; i < n; i++)
                {
                    if (jobs[i] is { } job && lives[i] is { IsFinished: false } live)
                    {
                        _ = _lifecycle.FailAsync(job, _reader, live, error, retryable: true, n, 0);
                    }

                    jobs[i] = null!;
                    lives[i] = null!;
                }
            }
        }
    }

    private int Fill(QueuedJob[] jobs, LiveJob[] lives, int n, int max)
    {
        while (n < max && _reader.TryRead(out var job))
        {
            if (_lifecycle.ShouldRun(job, _reader, out var live))
            {
                jobs[n] = job;
                lives[n] = live;
                n++;
            }
        }

        return n;
    }

    /// <summary>
    /// Drops jobs whose deadline the predicted batch time would miss, and shrinks the batch when the oldest
    /// deadline can only be met by a smaller one (the tail goes back to the queue as the next batch).
    /// </summary>
    private int ShedForDeadlines(QueuedJob[] jobs, LiveJob[] lives, int n, DateTimeOffset now)
    {
        if (_entry.Latency.Samples < 3)
        {
            return n;
        }

        var kept = 0;
        for (var i = 0; i < n; i++)
        {
            if (jobs[i].Deadline is { } deadline)
            {
                // The smallest batch (1) is the best this job can get; if even that misses, shed it now.
                var best = _entry.Latency.PredictMs(1);
                if (now + TimeSpan.FromMilliseconds(best) > deadline)
                {
                    _lifecycle.Shed(jobs[i], _reader, best);
                    continue;
                }
            }

            jobs[kept] = jobs[i];
            lives[kept] = lives[i];
            kept++;
        }

        // Shrink while the tightest deadline in the batch would be missed at this size.
        while (kept > 1)
        {
            var predicted = TimeSpan.FromMilliseconds(_entry.Latency.PredictMs(kept));
            var tight = false;
            for (var i = 0; i < kept && !tight; i++)
            {
                tight = jobs[i].Deadline is { } d && now + predicted > d;
            }

            if (!tight)
            {
                break;
            }

            kept--;
            _ = _reader.RetryLaterAsync(JobLifecycle.Uncounted(jobs[kept]), TimeSpan.Zero, CancellationToken.None).AsTask();
        }

        return kept;
    }

    private bool TryParse(QueuedJob job, LiveJob live)
    {
        try
        {
            using var doc = JsonDocument.Parse(job.InputJson);
            if (_model.TryParseInput(doc.RootElement.Clone(), out var parsed, out var error))
            {
                job.Parsed = parsed;
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Batch loop of model {Model} failed; its jobs are retried")]
        public static partial void LoopFailed(ILogger logger, Exception exception, string model);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Batch of {Count} on model {Model} failed")]
        public static partial void BatchFailed(ILogger logger, Exception exception, string model, int count);
    }
}
