using System.Globalization;
using Sluice.Server.Admission;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// Tokens-per-minute limit of a key (<c>TokensPerMinute</c>), a token bucket of that capacity refilled at TPM/60
/// per second. A request reserves its <c>max_tokens</c> up front, as OpenAI counts it, so concurrent requests
/// cannot overshoot; what it did not generate is given back when it ends. Answers carry OpenAI's
/// <c>x-ratelimit-*-tokens</c> headers; a refusal is 429 with <c>Retry-After</c>.
/// </summary>
internal static class OpenAiTokenLimits
{
    public static string Key(Caller caller) => "tpm:" + caller.Id;

    /// <summary>Reserves <paramref name="cost"/> tokens; null when allowed, else the 429 answer.</summary>
    public static async ValueTask<IResult?> TryReserveAsync(HttpContext http, IRateLimitStore store, Caller caller, int cost, bool openAiShape = true)
    {
        if (caller.TokensPerMinute <= 0)
        {
            return null;
        }

        var tpm = caller.TokensPerMinute;
        var rate = tpm / 60;
        var headers = http.Response.Headers;
        headers["x-ratelimit-limit-tokens"] = tpm.ToString(CultureInfo.InvariantCulture);
        if (caller.RequestsPerSecond > 0)
        {
            headers["x-ratelimit-limit-requests"] = (caller.RequestsPerSecond * 60).ToString(CultureInfo.InvariantCulture);
        }

        if (cost > tpm)
        {
            // Refused without touching the bucket, so there is no remaining count to report (0 would be untrue).
            var tooLarge = $"Request too large: max_tokens {cost} exceeds the limit of {tpm} tokens per minute for key '{caller.Id}'; lower max_tokens.";
            return openAiShape
                ? OpenAiErrors.Create(429, tooLarge, OpenAiErrorTypes.Tokens, "max_tokens", "rate_limit_exceeded")
                : Problems.Create(429, "Request too large", tooLarge, "max_tokens", "rate-limited");
        }

        var decision = await store.TryAcquireAsync(Key(caller), rate, tpm, cost, http.RequestAborted).ConfigureAwait(false);
        headers["x-ratelimit-remaining-tokens"] = Math.Floor(decision.Remaining).ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-tokens"] = Duration(TimeSpan.FromSeconds((tpm - decision.Remaining) / rate));
        if (decision.Allowed)
        {
            return null;
        }

        headers.RetryAfter = Math.Max(1, Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        headers["retry-after-ms"] = Math.Ceiling(decision.RetryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-tokens"] = Duration(decision.RetryAfter);
        var message = $"Rate limit reached for tokens per minute on key '{caller.Id}': limit {tpm}, remaining {Math.Floor(decision.Remaining)}, requested {cost}. Please try again in {Duration(decision.RetryAfter)}.";
        return openAiShape
            ? OpenAiErrors.Create(429, message, OpenAiErrorTypes.Tokens, null, "rate_limit_exceeded")
            : Problems.Create(429, "Too many tokens", message, type: "rate-limited");
    }

    /// <summary>Gives back the part of a reservation that was not generated.</summary>
    public static ValueTask ReturnAsync(IRateLimitStore store, Caller caller, int reserved, int used)
    {
        if (caller.TokensPerMinute <= 0 || used >= reserved)
        {
            return ValueTask.CompletedTask;
        }

        return store.ReturnAsync(Key(caller), caller.TokensPerMinute / 60, caller.TokensPerMinute, reserved - Math.Max(0, used), CancellationToken.None);
    }

    /// <summary>OpenAI's duration format: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            t = TimeSpan.Zero;
        }

        if (t < TimeSpan.FromSeconds(1))
        {
            return ((int)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        if (t < TimeSpan.FromMinutes(1))
        {
            return Math.Round(t.TotalSeconds, 3).ToString(CultureInfo.InvariantCulture) + "s";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds}s");
    }
}
