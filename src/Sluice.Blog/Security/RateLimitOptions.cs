namespace Sluice.Blog.Security;

/// <summary>
/// How often sign-in and registration may be tried, section <c>Blog:RateLimit</c>: without a limit a password could be
/// guessed as fast as PBKDF2 runs. Each count is per fixed window of <see cref="WindowSeconds"/>.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Blog:RateLimit";

    /// <summary>The window the counts below are per.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Sign-in attempts (<c>POST /login</c>) from one client address a window.</summary>
    public int SignInPerAddress { get; set; } = 10;

    /// <summary>Sign-in attempts for one user name a window, from any address (a guesser spread over many addresses).</summary>
    public int SignInPerUser { get; set; } = 5;

    /// <summary>Registrations tried (<c>POST /register</c>) from one client address a window.</summary>
    public int RegisterPerAddress { get; set; } = 5;
}
