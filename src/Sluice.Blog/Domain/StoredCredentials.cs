namespace Sluice.Blog.Domain;

/// <summary>A user and the PBKDF2 hash of their password, read only to check a login.</summary>
internal sealed record StoredCredentials(BlogUser User, string PasswordHash);
