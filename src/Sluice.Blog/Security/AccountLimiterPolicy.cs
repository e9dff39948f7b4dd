using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Sluice.Blog.Pages;

namespace Sluice.Blog.Security;

/// <summary>
/// The per-client-address limit of one account form's POST (<see cref="SignIn"/> or <see cref="Register"/>); a
/// refused attempt gets the form again, 429 with <c>Retry-After</c>.
/// </summary>
internal sealed class AccountLimiterPolicy : IRateLimiterPolicy<string>
{
    public const string SignIn = "sign-in";
    public const string Register = "register";

    private readonly Func<string, FixedWindowRateLimiterOptions> _options;

    public AccountLimiterPolicy(int permits, TimeSpan window)
    {
        var options = Window(permits, window);
        // Made once: the partitioner runs for every POST it guards.
        _options = _ => options;
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = AccountPages.RateLimitedAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Key(httpContext), _options);

    /// <summary>A fixed window with no queue: an attempt over the limit is refused at once, never held.</summary>
    public static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    /// <summary>Whole seconds until <paramref name="lease"/> says to try again, at least 1; <paramref name="window"/> when it does not say.</summary>
    public static int RetryAfterSeconds(RateLimitLease lease, TimeSpan window) =>
        Math.Max(1, (int)Math.Ceiling((lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window).TotalSeconds));
}
