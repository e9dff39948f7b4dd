using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Sluice.Blog.Domain;

namespace Sluice.Blog.Security;

/// <summary>
/// Sign-in attempts per user name, from any address, so a guesser spread over many addresses still gets only
/// <see cref="RateLimitOptions.SignInPerUser"/> guesses a window. Counted for names that do not exist too, so a
/// refusal tells nothing about which names do.
/// </summary>
internal sealed class SignInUserLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly Func<string, FixedWindowRateLimiterOptions> _options;
    private readonly TimeSpan _window;

    public SignInUserLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _window = TimeSpan.FromSeconds(o.WindowSeconds);
        var window = AccountLimiterPolicy.Window(o.SignInPerUser, _window);
        _options = _ => window;
        // Names match in any letter case, as they do at registration; an idle name's counter is dropped.
        _limiter = PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(name, _options), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>True when <paramref name="username"/> may be tried now; otherwise the seconds until it may.</summary>
    public bool TryAcquire(string username, out int retryAfterSeconds)
    {
        // No name is longer than that, so a longer one need not be kept whole (a counter per megabyte-long name).
        var key = username.Length > UserRules.MaxUsernameLength ? username[..(UserRules.MaxUsernameLength + 1)] : username;
        using var lease = _limiter.AttemptAcquire(key);
        retryAfterSeconds = lease.IsAcquired ? 0 : AccountLimiterPolicy.RetryAfterSeconds(lease, _window);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
