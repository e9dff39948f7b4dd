namespace Sluice.Blog.Domain;

/// <summary>A registered author. The password hash never leaves the store with it.</summary>
internal sealed record BlogUser(long Id, string Username, DateTimeOffset CreatedAt);
