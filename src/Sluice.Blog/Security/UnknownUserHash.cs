using System.Security.Cryptography;

namespace Sluice.Blog.Security;

/// <summary>
/// A hash no password matches in practice, checked when a sign-in names no user so that answer costs one hash as a
/// wrong password does. Made when the blog is built, not on first use: a lazy one made the first unknown-name sign-in
/// after a start cost two hashes, a timing tell.
/// </summary>
internal sealed class UnknownUserHash
{
    public string Value { get; } = PasswordHasher.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
}
