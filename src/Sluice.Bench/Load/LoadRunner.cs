using System.Threading.Channels;
using Sluice.Bench.Histograms;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Load;

/// <summary>
/// Runs one stage against a target. Closed loop: <c>Concurrency</c> workers, each sending its next request when the
/// last one ended (plus think time). Open loop: a scheduler draws Poisson arrivals from the profile and hands their
/// due times to <c>MaxInFlight</c> workers; latency is measured from the due time, so time spent waiting for a free
/// worker counts (no coordinated omission). Each worker owns a <see cref="WorkerRecorder"/>; they are merged once
/// the stage is over. Every stage is bounded by its duration, its request count and a hard stop at
/// warm-up + duration + deadline + 5 s. Ctrl+C (the caller's token) stops sending at once; requests in flight then
/// have <see cref="LoadOptions.InterruptGrace"/> to finish and count as they end, and are cancelled after it.
/// </summary>
internal sealed class LoadRunner
{
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(5);

    private readonly ILoadTarget _target;
    private readonly LoadOptions _options;
    private readonly TimeProvider _time;
    private readonly TimelineRecorder _timeline;
    private WorkerRecorder[] _recorders = [];
    private long _startTimestamp;
    private long _measureStartTimestamp;
    private long _measureEndTimestamp;
    private long _issued;
    private long _measuredIssued;

    /// <summary>Open loop: seconds over which measured arrivals were scheduled (0 until the scheduler ends).</summary>
    private double _arrivalSeconds;
    private int _started;
    private int _clockStarted;

    /// <summary>The caller's token (Ctrl+C): no request is sent once it is cancelled.</summary>
    private CancellationToken _interrupt;

    /// <summary>Cancelled <see cref="LoadOptions.InterruptGrace"/> after Ctrl+C: requests it cuts short are counted as cancelled, not failed.</summary>
    private CancellationToken _abort;

    public LoadRunner(ILoadTarget target, LoadOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _target = target;
        _options = options;
        _time = time ?? TimeProvider.System;
        _timeline = new TimelineRecorder(options.Duration + options.RequestDeadline, options.TimelineWindow);
    }

    public LoadOptions Options => _options;

    /// <summary>A racy snapshot for the live display; safe to call from any thread at any time.</summary>
    public LoadProgress GetProgress()
    {
        WorkerRecorder[] recorders = Volatile.Read(ref _recorders);
        long sent = 0, ok = 0, rejected = 0, failed = 0, cancelled = 0;
        foreach (WorkerRecorder r in recorders)
        {
            sent += r.Sent;
            ok += r.Succeeded;
            rejected += r.Rejected;
            failed += r.Failed;
            cancelled += r.Cancelled;
        }

        long start = Volatile.Read(ref _startTimestamp);
        TimeSpan elapsed = start == 0 ? TimeSpan.Zero : _time.GetElapsedTime(start);
        long issued = Volatile.Read(ref _measuredIssued);
        return new LoadProgress(
            _options.Label,
            elapsed,
            _options.Warmup + _options.Duration,
            start != 0 && elapsed < _options.Warmup,
            sent,
            ok,
            rejected,
            failed,
            Math.Max(0, issued - sent - cancelled));
    }

    public async Task<StageResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A LoadRunner runs once.");
        }

        // Two stops: 'stop' ends the requests in flight (the hard stop, or the grace after Ctrl+C running out);
        // 'issue' ends the sending of new ones, which Ctrl+C does at once.
        using var abort = new CancellationTokenSource();
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
        hardStop.CancelAfter(_options.Warmup + _options.Duration + _options.RequestDeadline + s_grace);
        CancellationToken stop = hardStop.Token;
        using var issuing = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        CancellationToken issue = issuing.Token;
        _interrupt = cancellationToken;
        _abort = abort.Token;
        using var graceAfterCtrlC = cancellationToken.Register(static state =>
        {
            var (source, grace) = ((CancellationTokenSource, TimeSpan))state!;
            if (grace <= TimeSpan.Zero)
            {
                source.Cancel();
            }
            else
            {
                source.CancelAfter(grace);
            }
        }, (abort, _options.InterruptGrace));

        int workers = _options.Mode == LoadMode.Closed ? _options.Concurrency : _options.MaxInFlight;
        var recorders = new WorkerRecorder[workers + 1]; // the last one belongs to the open-loop scheduler
        for (int i = 0; i < recorders.Length; i++)
        {
            recorders[i] = new WorkerRecorder();
        }

        Volatile.Write(ref _recorders, recorders);
        if (_options.Mode == LoadMode.Open)
        {
            // Open loop: arrivals are due on the wall clock from now; a late scheduler catches up and the wait counts.
            StartClock();
        }

        var tasks = new Task[workers + (_options.Mode == LoadMode.Open ? 1 : 0)];
        if (_options.Mode == LoadMode.Closed)
        {
            for (int i = 0; i < workers; i++)
            {
                WorkerRecorder r = recorders[i];
                tasks[i] = Task.Run(() => ClosedWorkerAsync(r, stop, issue), CancellationToken.None);
            }
        }
        else
        {
            var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(_options.MaxBacklog)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            for (int i = 0; i < workers; i++)
            {
                WorkerRecorder r = recorders[i];
                tasks[i] = Task.Run(() => OpenWorkerAsync(channel.Reader, r, stop, issue), CancellationToken.None);
            }

            tasks[workers] = Task.Run(() => ScheduleAsync(channel.Writer, recorders[workers], issue), CancellationToken.None);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return Merge(recorders);
    }

    private static long ToTimestampTicks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private long ToTimestampTicks(TimeSpan span) => ToTimestampTicks(span, _time);

    /// <summary>
    /// Fixes the stage's start, warm-up end and measuring end, once. A closed loop starts its clock when its first
    /// worker runs, not when it was queued: on a starved thread pool the workers can start late, and a window that
    /// had already closed would measure nothing.
    /// </summary>
    private void StartClock()
    {
        if (Interlocked.CompareExchange(ref _clockStarted, 1, 0) == 0)
        {
            long now = _time.GetTimestamp();
            _measureStartTimestamp = now + ToTimestampTicks(_options.Warmup);
            _measureEndTimestamp = _measureStartTimestamp + ToTimestampTicks(_options.Duration);
            Volatile.Write(ref _startTimestamp, now);
            Volatile.Write(ref _clockStarted, 2); // published last: whoever sees 2 sees the window
            return;
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref _clockStarted) != 2)
        {
            spin.SpinOnce();
        }
    }

    /// <param name="stop">Ends the request in flight.</param>
    /// <param name="issue">Ends the loop: no request is sent after it.</param>
    private async Task ClosedWorkerAsync(WorkerRecorder recorder, CancellationToken stop, CancellationToken issue)
    {
        StartClock();
        var context = new RequestContext(recorder, _time);
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            while (!issue.IsCancellationRequested)
            {
                long start = _time.GetTimestamp();
                if (start >= _measureEndTimestamp)
                {
                    break;
                }

                bool recording = start >= _measureStartTimestamp;
                if (recording && Interlocked.Increment(ref _measuredIssued) > _options.MaxRequests)
                {
                    break;
                }

                long sequence = Interlocked.Increment(ref _issued) - 1;
                deadline = await ExecuteOneAsync(context, recorder, deadline, sequence, start, recording, stop).ConfigureAwait(false);
                if (_options.ThinkTime > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(_options.ThinkTime, _time, issue).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            deadline.Dispose();
        }
    }

    /// <param name="stop">Ends the request in flight.</param>
    /// <param name="issue">Ends the loop: no queued arrival is sent after it.</param>
    private async Task OpenWorkerAsync(ChannelReader<long> reader, WorkerRecorder recorder, CancellationToken stop, CancellationToken issue)
    {
        var context = new RequestContext(recorder, _time);
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            while (await reader.WaitToReadAsync(issue).ConfigureAwait(false))
            {
                while (!issue.IsCancellationRequested && reader.TryRead(out long due))
                {
                    // Arrivals still queued when the run is stopped were never sent: neither sent nor cancelled.
                    bool recording = due >= _measureStartTimestamp;
                    long sequence = Interlocked.Increment(ref _issued) - 1;
                    deadline = await ExecuteOneAsync(context, recorder, deadline, sequence, due, recording, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (issue.IsCancellationRequested)
        {
            // Hard stop or Ctrl+C: whatever is still queued was never sent.
        }
        finally
        {
            deadline.Dispose();
        }
    }

    private async Task ScheduleAsync(ChannelWriter<long> writer, WorkerRecorder schedulerRecorder, CancellationToken stop)
    {
        ILoadProfile profile = _options.Profile!;
        var arrivals = new PoissonArrivals(profile, _options.Seed);
        var warmupArrivals = new PoissonArrivals(new ConstantRateProfile(Math.Max(0.001, profile.RateAt(TimeSpan.Zero))), _options.Seed + 1);
        long start = _startTimestamp;
        double frequency = _time.TimestampFrequency;
        double warmupSeconds = _options.Warmup.TotalSeconds;
        double durationSeconds = _options.Duration.TotalSeconds;
        long measuredArrivals = 0;
        try
        {
            // Warm-up arrivals at the profile's starting rate, then the profile itself from the start of measuring.
            // Without warm-up the first arrival is the profile's first draw too (it was an extra one at exactly 0).
            double t = warmupSeconds > 0 ? warmupArrivals.Next() : arrivals.Next();
            bool warm = warmupSeconds <= 0;
            while (!stop.IsCancellationRequested)
            {
                if (!warm && t >= warmupSeconds)
                {
                    warm = true;
                    t = warmupSeconds + arrivals.Next();
                }

                if (warm && (t - warmupSeconds >= durationSeconds || measuredArrivals >= _options.MaxRequests))
                {
                    // The next arrival would fall outside the window, or the count is reached: either way arrivals
                    // were offered over this much time, however long the answers then take.
                    _arrivalSeconds = Math.Min(t - warmupSeconds, durationSeconds);
                    break;
                }

                long due = start + (long)(t * frequency);
                TimeSpan wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, _time, stop).ConfigureAwait(false);
                }

                if (warm)
                {
                    measuredArrivals++;
                    Interlocked.Increment(ref _measuredIssued);
                    _timeline.RecordArrival((long)((t - warmupSeconds) * 1_000_000));
                }

                if (!writer.TryWrite(due))
                {
                    if (warm)
                    {
                        Interlocked.Decrement(ref _measuredIssued);
                        schedulerRecorder.ClientDropped++;
                    }
                }

                t = warm ? warmupSeconds + arrivals.Next() : warmupArrivals.Next();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Hard stop.
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async ValueTask<CancellationTokenSource> ExecuteOneAsync(
        RequestContext context,
        WorkerRecorder recorder,
        CancellationTokenSource deadline,
        long sequence,
        long due,
        bool recording,
        CancellationToken stop)
    {
        context.Reset(sequence, due, recording);
        TimeSpan remaining = _options.RequestDeadline - _time.GetElapsedTime(due);
        RequestOutcome outcome;
        var sent = false;
        if (remaining <= TimeSpan.Zero)
        {
            outcome = RequestOutcome.Failure(OutcomeCodes.Timeout); // waited in the client backlog past its deadline
        }
        else
        {
            sent = true;
            deadline.CancelAfter(remaining);
            try
            {
                outcome = await _target.ExecuteAsync(context, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                // Our deadline, or the stage's hard stop (which comes after every request's deadline): a timeout either
                // way, unless the run was stopped, which is handled below.
                outcome = RequestOutcome.Failure(OutcomeCodes.Timeout);
            }
            catch (HttpRequestException)
            {
                outcome = RequestOutcome.Failure(OutcomeCodes.ConnectionError);
            }
            catch (IOException)
            {
                outcome = RequestOutcome.Failure(OutcomeCodes.ConnectionError);
            }
            catch (System.Text.Json.JsonException)
            {
                outcome = RequestOutcome.Failure(OutcomeCodes.ProtocolError);
            }
            catch (FormatException)
            {
                outcome = RequestOutcome.Failure(OutcomeCodes.ProtocolError);
            }
            catch (InvalidOperationException)
            {
                outcome = RequestOutcome.Failure(OutcomeCodes.ProtocolError);
            }
            catch (OperationCanceledException)
            {
                // Cancelled by something other than our deadline (e.g. the server closed a stream mid-read).
                outcome = RequestOutcome.Failure(OutcomeCodes.ConnectionError);
            }
        }

        if (sent && outcome.Kind == OutcomeKind.Failed && _abort.IsCancellationRequested && CutShort(outcome.Code))
        {
            // Ctrl+C's grace ran out and cut it short (as a cancellation, or a stream or connection torn down under the target): the
            // target did not fail it, so it is counted apart rather than as a spurious failure. An answer the target
            // gave (an HTTP error, a failed or expired job) stays a failure, and so does a request that had already
            // waited out its deadline in the client's backlog.
            outcome = new RequestOutcome(OutcomeKind.Cancelled, OutcomeCodes.Cancelled);
        }

        long end = _time.GetTimestamp();
        if (!deadline.TryReset())
        {
            deadline.Dispose();
            deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        }

        if (recording)
        {
            long latency = context.Micros(due, end);
            recorder.Record(context, outcome, latency, end);
            if (outcome.Kind != OutcomeKind.Cancelled)
            {
                _timeline.RecordCompletion(context.Micros(_measureStartTimestamp, due), outcome.Kind, latency);
            }
        }

        return deadline;
    }

    private StageResult Merge(WorkerRecorder[] recorders)
    {
        var latency = new LogLinearHistogram();
        var succeeded = new LogLinearHistogram();
        var ttfe = new LogLinearHistogram();
        var interEvent = new LogLinearHistogram();
        var byCode = new SortedDictionary<int, long>();
        long sent = 0, ok = 0, rejected = 0, failed = 0, cancelled = 0, retryAfter = 0, accepted = 0, lost = 0, dropped = 0, batchSum = 0, batchCount = 0;
        long lastCompletion = _measureStartTimestamp;
        foreach (WorkerRecorder r in recorders)
        {
            latency.Add(r.Latency);
            succeeded.Add(r.SucceededLatency);
            ttfe.Add(r.TimeToFirstEvent);
            interEvent.Add(r.InterEvent);
            foreach (KeyValuePair<int, long> pair in r.ByCode)
            {
                byCode[pair.Key] = byCode.GetValueOrDefault(pair.Key) + pair.Value;
            }

            sent += r.Sent;
            ok += r.Succeeded;
            rejected += r.Rejected;
            failed += r.Failed;
            cancelled += r.Cancelled;
            retryAfter += r.RejectedWithRetryAfter;
            accepted += r.Accepted;
            lost += r.AcceptedThenLost;
            dropped += r.ClientDropped;
            batchSum += r.BatchSizeSum;
            batchCount += r.BatchSizeCount;
            lastCompletion = Math.Max(lastCompletion, r.LastCompletionTimestamp);
        }

        // Closed loop: from the start of measuring to the last completion. Open loop: at least the planned duration
        // (arrivals are spread over it even when the server answers instantly). Ctrl+C: until now, even when no request
        // had completed (the last completion said 0 s).
        double measured = _time.GetElapsedTime(_measureStartTimestamp, lastCompletion).TotalSeconds;
        if (_options.Mode == LoadMode.Open || (_interrupt.IsCancellationRequested && Volatile.Read(ref _clockStarted) == 2))
        {
            measured = Math.Max(measured, Math.Min(_options.Duration.TotalSeconds, _time.GetElapsedTime(_measureStartTimestamp).TotalSeconds));
        }

        measured = Math.Max(measured, 1e-6);
        var byStatus = new Dictionary<string, long>(byCode.Count);
        foreach (KeyValuePair<int, long> pair in byCode)
        {
            byStatus[OutcomeCodes.Name(pair.Key)] = pair.Value;
        }

        double offered = 0, nominal = 0;
        if (_options.Mode == LoadMode.Open)
        {
            // Arrivals per second of the time they were offered over: dividing by the measured time, which runs to
            // the last completion, understated the offered rate by the whole drain of an overloaded stage. A stage
            // cut short (hard stop, Ctrl+C) offered arrivals until then.
            double window = _arrivalSeconds > 0
                ? _arrivalSeconds
                : Math.Min(_options.Duration.TotalSeconds, _time.GetElapsedTime(_measureStartTimestamp).TotalSeconds);
            offered = (sent + cancelled + dropped) / Math.Max(window, 1e-6);
            nominal = MeanRate(_options.Profile!, _options.Duration);
        }

        return new StageResult
        {
            Label = _options.Label,
            Mode = _options.Mode,
            Concurrency = _options.Mode == LoadMode.Closed ? _options.Concurrency : 0,
            Profile = _options.Profile?.Description,
            OfferedRatePerSecond = offered,
            NominalRatePerSecond = nominal,
            MeasuredSeconds = measured,
            Sent = sent,
            Succeeded = ok,
            Rejected = rejected,
            Failed = failed,
            Cancelled = cancelled,
            ClientDropped = dropped,
            RejectedWithRetryAfter = retryAfter,
            Accepted = accepted,
            AcceptedThenLost = lost,
            MeanBatchSize = batchCount == 0 ? 0 : (double)batchSum / batchCount,
            ThroughputPerSecond = ok / measured,
            ByStatus = byStatus,
            Latency = LatencySummary.FromMicroseconds(latency),
            SucceededLatency = LatencySummary.FromMicroseconds(succeeded),
            TimeToFirstEvent = ttfe.TotalCount == 0 ? null : LatencySummary.FromMicroseconds(ttfe),
            InterEvent = interEvent.TotalCount == 0 ? null : LatencySummary.FromMicroseconds(interEvent),
            Timeline = _timeline.ToPoints(),
        };
    }

    private static double MeanRate(ILoadProfile profile, TimeSpan duration)
    {
        const int samples = 1000;
        double sum = 0;
        for (int i = 0; i < samples; i++)
        {
            sum += profile.RateAt(duration * ((i + 0.5) / samples));
        }

        return sum / samples;
    }

    /// <summary>The failures a Ctrl+C produces in a request in flight: a cancellation, or the transport torn down under it.</summary>
    private static bool CutShort(int code) => code is OutcomeCodes.Cancelled or OutcomeCodes.Timeout or OutcomeCodes.ConnectionError
        or OutcomeCodes.ProtocolError or OutcomeCodes.StreamEndedEarly;
}
