using System.Text;
using Polly.CircuitBreaker;
using Sluice.Backends.Resilience;
using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Backends.Streaming;

/// <summary>
/// One generation running on a remote upstream. A background task (<see cref="Start"/>) reads the upstream's
/// stream and appends each chunk here under a small lock; the continuous batcher's <c>Step</c> only drains what has
/// arrived (<see cref="Drain"/>), so one slow upstream stream never blocks the others in the batch. Disposing it
/// (the job finished, was cancelled or expired) aborts the upstream request and frees the model's slot.
/// </summary>
internal sealed class RemoteSequence : IGenerationSequence
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _pending = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly AsyncSignal _signal;
    private readonly Action _release;
    private int _pendingTokens;
    private int _generated;
    private int? _upstreamPrompt;
    private int? _upstreamCompletion;
    private FinishReason _finish;
    private bool _finishDelivered;
    private bool _emitted;
    private string? _error;
    private bool _retryable = true;
    private TimeSpan? _retryAfter;
    private string? _errorCode;
    private bool _refused;
    private int _disposed;

    public RemoteSequence(GenerationRequest request, int estimatedPromptTokens, AsyncSignal signal, Action release)
    {
        Request = request;
        EstimatedPromptTokens = estimatedPromptTokens;
        _signal = signal;
        _release = release;
    }

    public GenerationRequest Request { get; }

    public int EstimatedPromptTokens { get; }

    public int PromptTokens => _upstreamPrompt ?? EstimatedPromptTokens;

    public int GeneratedTokens => _upstreamCompletion ?? Volatile.Read(ref _generated);

    public string? Error => _error;

    public bool ErrorRetryable => _retryable;

    /// <summary>Why the call failed (the upstream failure's code); any other fault around the call is an upstream error too.</summary>
    public string? ErrorCode => _errorCode;

    /// <summary>The failed call's wait before trying again: an open circuit's time to its next trial, or the upstream's <c>Retry-After</c>.</summary>
    public TimeSpan? RetryAfter => _retryAfter;

    /// <summary>True when the upstream's open circuit refused the call: nothing was sent, so another model may take the job.</summary>
    public bool Refused => Volatile.Read(ref _refused);

    /// <summary>True once any text was handed to the client: from then on the call must not be repeated.</summary>
    public bool HasEmitted
    {
        get
        {
            lock (_lock)
            {
                return _emitted || _pending.Length > 0;
            }
        }
    }

    /// <summary>The background reader (for tests and shutdown).</summary>
    internal Task? Reader { get; private set; }

    public void Start(IStreamingProtocol protocol) => Reader = Task.Run(() => RunAsync(protocol));

    /// <summary>Appends a chunk of text (<paramref name="tokens"/> tokens) from the upstream.</summary>
    public void Push(string text, int tokens)
    {
        if (text.Length == 0 && tokens == 0)
        {
            return;
        }

        lock (_lock)
        {
            _pending.Append(text);
            _pendingTokens += tokens;
        }

        Signal();
    }

    /// <summary>Token counts the upstream reported (replace Sluice's estimate and chunk count).</summary>
    public void SetUsage(int? promptTokens, int? completionTokens)
    {
        if (promptTokens is { } p)
        {
            _upstreamPrompt = p;
        }

        if (completionTokens is { } c)
        {
            _upstreamCompletion = c;
        }
    }

    /// <summary>Ends the sequence; text still pending is delivered first.</summary>
    public void Complete(FinishReason reason)
    {
        lock (_lock)
        {
            if (_finish == FinishReason.None)
            {
                _finish = reason;
            }
        }

        Signal();
    }

    /// <summary>Fills <paramref name="output"/> with what arrived since the last step; true when there was anything.</summary>
    public bool Drain(ref StepOutput output)
    {
        lock (_lock)
        {
            var any = false;
            if (_pending.Length > 0 || _pendingTokens > 0)
            {
                output.Delta = _pending.ToString();
                output.GeneratedTokens = _pendingTokens;
                _generated += _pendingTokens;
                _emitted |= _pending.Length > 0;
                _pending.Clear();
                _pendingTokens = 0;
                any = true;
            }

            if (_finish != FinishReason.None && !_finishDelivered)
            {
                output.Finish = _finish;
                _finishDelivered = true;
                any = true;
            }

            return any;
        }
    }

    private void Signal() => _signal.Set();

    private async Task RunAsync(IStreamingProtocol protocol)
    {
        try
        {
            await protocol.StreamAsync(Request, this, _cts.Token).ConfigureAwait(false);
            Complete(FinishReason.Stop);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            Complete(FinishReason.Cancelled);
        }
        catch (UpstreamException ex)
        {
            // Read before Fail completes the sequence, so the batcher sees it with the finish.
            Volatile.Write(ref _refused, ex.InnerException is BrokenCircuitException && !HasEmitted);
            _retryAfter = ex.RetryAfter;
            _errorCode = ex.Code;
            Fail(ex.Message, ex.Transient);
        }
        catch (Exception ex)
        {
            _errorCode = JobErrorCodes.UpstreamError;
            Fail($"{ex.GetType().Name}: {ex.Message}", true);
        }
    }

    private void Fail(string message, bool transient)
    {
        // Running the job again after text reached the client would repeat that text: only a clean failure may be retried.
        _retryable = transient && !HasEmitted;
        _error = message;
        Complete(FinishReason.Error);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Aborting the request closes the upstream connection, which stops the upstream generating for nobody.
        // Not disposed: the reader may still be linking to its token; it owns no timer, so the GC reclaims it.
        _cts.Cancel();
        _release();
    }
}
