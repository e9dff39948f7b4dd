using Microsoft.Extensions.Options;

namespace Sluice.Backends.Configuration;

/// <summary>Checks every backend at start so a typo fails the server loudly instead of at the first request.</summary>
internal sealed class BackendsOptionsValidator : IValidateOptions<BackendsOptions>
{
    public ValidateOptionsResult Validate(string? name, BackendsOptions options)
    {
        var errors = new List<string>();
        foreach (var (backend, o) in options)
        {
            var at = $"{BackendsOptions.SectionName}:{backend}";
            if (!IsValidModelName(backend))
            {
                errors.Add($"{at}: the backend name is the model name and must match [a-z0-9._-]{{1,128}}.");
            }

            if (!BackendKinds.TryParse(o.Type, out _))
            {
                errors.Add($"{at}:Type = '{o.Type}' must be openai, ollama or kserve-v2.");
            }

            if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{at}:BaseUrl = '{o.BaseUrl}' must be an absolute http(s) URL.");
            }

            if (o.Api is not ("chat" or "completions"))
            {
                errors.Add($"{at}:Api must be chat or completions.");
            }

            Range(errors, at, nameof(o.MaxConcurrency), o.MaxConcurrency, 1, 4096);
            Range(errors, at, nameof(o.MaxBatchSize), o.MaxBatchSize, 1, 4096);
            Range(errors, at, nameof(o.MaxQueueDelayMs), o.MaxQueueDelayMs, 0, 60_000);
            Range(errors, at, nameof(o.ConnectTimeoutSeconds), o.ConnectTimeoutSeconds, 0.05, 600);
            Range(errors, at, nameof(o.RequestTimeoutSeconds), o.RequestTimeoutSeconds, 0.05, 3600);
            Range(errors, at, nameof(o.StreamIdleTimeoutSeconds), o.StreamIdleTimeoutSeconds, 0.05, 3600);
            Range(errors, at, nameof(o.MaxRetries), o.MaxRetries, 0, 20);
            Range(errors, at, nameof(o.RetryBaseDelayMs), o.RetryBaseDelayMs, 0, 60_000);
            // Polly's own bounds: ratio in (0, 1], at least 2 calls, windows of at least half a second.
            Range(errors, at, nameof(o.BreakerFailureRatio), o.BreakerFailureRatio, 0.01, 1);
            Range(errors, at, nameof(o.BreakerMinimumThroughput), o.BreakerMinimumThroughput, 2, 100_000);
            Range(errors, at, nameof(o.BreakerSamplingSeconds), o.BreakerSamplingSeconds, 0.5, 86_400);
            Range(errors, at, nameof(o.BreakerCooldownSeconds), o.BreakerCooldownSeconds, 0.5, 86_400);
            Range(errors, at, nameof(o.HealthProbeIntervalSeconds), o.HealthProbeIntervalSeconds, 0, 86_400);
            Range(errors, at, nameof(o.FallbackQueueDepth), o.FallbackQueueDepth, 0, 10_000_000);
            if (o.Fallback is { } fb && (!IsValidModelName(fb) || fb == backend))
            {
                errors.Add($"{at}:Fallback = '{fb}' must be another model's name.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool IsValidModelName(string name)
    {
        if (name.Length is 0 or > 128)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static void Range(List<string> errors, string at, string key, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            errors.Add($"{at}:{key} = {value} must be from {min} to {max}.");
        }
    }
}
