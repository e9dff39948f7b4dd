using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Unicode;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Sluice.Backends.Configuration;
using Sluice.Backends.Health;
using Sluice.Core.Jobs;
using Sluice.Core.Tracing;

namespace Sluice.Backends.Resilience;

/// <summary>
/// Everything one upstream server gets from Sluice: a pooled HTTP connection set, a concurrency gate, one
/// resilience pipeline (retries with exponential backoff and jitter, only for calls marked safe, around a circuit
/// breaker that opens after repeated failures and tries again after a cooldown) and its health state. Every
/// model served by the backend shares it, so limits and the breaker hold per upstream.
/// </summary>
internal sealed class UpstreamClient : IDisposable
{
    /// <summary>
    /// Longest in-line retry delay. A longer Retry-After ends the in-line retries (the call fails at once with it) and is
    /// left to the job's own retry schedule: waiting a shortened delay would call again before the upstream asked, and
    /// hold a client waiting on its request for nothing.
    /// </summary>
    private static readonly TimeSpan MaxInlineDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Added to an open circuit's time to its next trial in the refusal's <see cref="UpstreamException.RetryAfter"/>: a
    /// retry timed to the very tick (a timer may fire a few milliseconds early by the breaker's clock) would find the
    /// circuit still open and spend an attempt on it.
    /// </summary>
    private static readonly TimeSpan TrialMargin = TimeSpan.FromMilliseconds(100);

    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerManualControl _circuit = new();
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private readonly Uri _base;

    public UpstreamClient(string name, BackendKind kind, BackendOptions options, TimeProvider time)
    {
        Name = name;
        Kind = kind;
        Options = options;
        _time = time;
        var url = options.BaseUrl.EndsWith('/') ? options.BaseUrl : options.BaseUrl + "/";
        _base = new Uri(url, UriKind.Absolute);
        Http = new HttpClient(new SocketsHttpHandler
        {
            // Pooled keep-alive connections, recycled now and then so DNS changes are picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
            MaxConnectionsPerServer = options.MaxConcurrency + 2,
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            // Timeouts are per phase (headers, idle stream) and enforced by the callers.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _gate = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        // A claimed trial that never reaches the upstream lapses after the time a call may take to answer.
        var health = new BackendHealth(name, time, TimeSpan.FromSeconds(options.RequestTimeoutSeconds));
        Health = health;
        var builder = new ResiliencePipelineBuilder { Name = "sluice-backend-" + name, TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is UpstreamException { SafeToRetry: true } ex
                    && (ex.RetryAfter is not { } ra || ra <= MaxInlineDelay)),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                MaxDelay = MaxInlineDelay,
                // Honour the upstream's Retry-After (one within MaxInlineDelay: a longer one is not retried here) over our own schedule.
                DelayGenerator = static args => ValueTask.FromResult(args.Outcome.Exception is UpstreamException { RetryAfter: { } ra }
                    ? (TimeSpan?)ra
                    : null),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is UpstreamException { Transient: true }),
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(options.BreakerSamplingSeconds),
            BreakDuration = TimeSpan.FromSeconds(options.BreakerCooldownSeconds),
            ManualControl = _circuit,
            OnOpened = args =>
            {
                health.OnOpened(args.BreakDuration, args.Outcome.Exception?.Message);
                return default;
            },
            OnHalfOpened = _ =>
            {
                health.OnHalfOpened();
                return default;
            },
            OnClosed = _ =>
            {
                health.OnClosed();
                return default;
            },
        });
        _pipeline = builder.Build();
    }

    public string Name { get; }

    public BackendKind Kind { get; }

    public BackendOptions Options { get; }

    public HttpClient Http { get; }

    public BackendHealth Health { get; }

    public TimeProvider Time => _time;

    /// <summary>Calls in flight now (holding a concurrency permit).</summary>
    public int InFlight => Options.MaxConcurrency - _gate.CurrentCount;

    public Uri Url(string relative) => new(_base, relative);

    /// <summary>
    /// Called after a successful health probe: once the cooldown has passed the probe serves as the trial call and
    /// closes the circuit, so an upstream that came back is used again even while no request would try it.
    /// </summary>
    public async Task CloseCircuitIfCooledDownAsync(CancellationToken cancellationToken)
    {
        if (Health.AwaitsTrial)
        {
            await _circuit.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> under the concurrency gate and the resilience pipeline. The attempt throws
    /// <see cref="UpstreamException"/> for upstream failures; an open circuit comes back as one too (transient,
    /// not retried here), so callers only ever see upstream errors with a clear message.
    /// </summary>
    public async Task<T> ExecuteAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> attempt, TState state, CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0))
        {
            // Every slot is taken: the run (or batch) waits here before the upstream does any work for it. A span of
            // its own shows the wait apart from the call; disposed, it ends however the wait ends (a cancel included).
            using var wait = SluiceTracing.StartSlotWait(Name);
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await _pipeline.ExecuteAsync(attempt, state, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            var wait = ex.RetryAfter ?? TimeSpan.FromSeconds(Options.BreakerCooldownSeconds);
            // Name the failure that opened it: a job whose first attempt failed and whose retries met the open circuit
            // would otherwise end with an error that no longer says what is wrong with the upstream.
            var cause = Health.OpenedBy;
            var prefix = $"backend '{Name}': ";
            if (cause is not null && cause.StartsWith(prefix, StringComparison.Ordinal))
            {
                cause = cause[prefix.Length..];
            }

            throw new UpstreamException(
                $"backend '{Name}': {UpstreamException.CircuitOpen}{(cause is null ? "" : $" (the last: {cause})")}; next trial in about {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s",
                null, safeToRetry: false, transient: true, wait + TrialMargin, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// One attempt: sends <paramref name="request"/> and returns once the response headers are in (the body is
    /// the caller's to read), within <c>RequestTimeoutSeconds</c>. Non-success answers and transport failures
    /// become <see cref="UpstreamException"/>; <paramref name="idempotent"/> says whether an ambiguous failure
    /// (the request may have been processed) is still safe to retry.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, bool idempotent, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(Options.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Options.RequestTimeoutSeconds), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"backend '{Name}': {UpstreamException.NoAnswer}{request.RequestUri} within {Options.RequestTimeoutSeconds} s", null, idempotent, transient: true, code: JobErrorCodes.UpstreamTimeout);
        }
        catch (HttpRequestException ex)
        {
            // A failed connect means the request never left: always safe to try again.
            var neverSent = ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
            var authority = request.RequestUri?.GetLeftPart(UriPartial.Authority);
            throw new UpstreamException($"backend '{Name}': {(neverSent ? $"cannot connect to {authority}" : $"connection to {authority} failed")}: {ex.Message}",
                null, neverSent || idempotent, transient: true, null, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await ReadSnippetAsync(response, linked.Token).ConfigureAwait(false);
            TimeSpan? retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } d } => d,
                { Date: { } date } => date - _time.GetUtcNow(),
                _ => null,
            };
            // 429 and 503 mean the upstream did not take the request on: safe to repeat. Other 5xx only when idempotent.
            var safe = status is 429 or 503 || (idempotent && status is 500 or 502 or 504);
            var transient = status is 408 or 429 or >= 500;
            var refused = status is 400 or 413 or 422 ? ", " + UpstreamException.RefusedAsInvalid : "";
            // The wait is in the message for whoever reads it; the job keeps it as data (its retry_after_ms).
            var wait = retryAfter is { } ra && ra > TimeSpan.Zero
                ? $"{UpstreamException.RetryAfterMark}{Math.Ceiling(ra.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s)"
                : "";
            throw new UpstreamException($"backend '{Name}': {UpstreamException.Answered}{status} {response.ReasonPhrase}{refused}{wait}{(body.Length > 0 ? ": " + body : "")}", status, safe, transient, retryAfter);
        }
    }

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[1024];
            var n = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            // A body longer than the snippet is cut at its last whole character: a multi-byte one split by the cut
            // would end the error message with U+FFFD (invalid bytes inside it still read as U+FFFD).
            var chars = new char[n];
            Utf8.ToUtf16(buffer.AsSpan(0, n), chars, out _, out var written, replaceInvalidSequences: true, isFinalBlock: n < buffer.Length);
            return new string(chars, 0, written).Trim();
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        _gate.Dispose();
    }
}
