namespace Sluice.Blog.Domain;

/// <summary>What a username and a password must be at registration.</summary>
internal static class UserRules
{
    public const int MinUsernameLength = 3;
    public const int MaxUsernameLength = 32;
    public const int MinPasswordLength = 8;

    /// <summary>Long enough for a passphrase, short enough that hashing it is no denial of service.</summary>
    public const int MaxPasswordLength = 256;

    public static FieldErrors Validate(string? username, string? password)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(username) || username.Length < MinUsernameLength || username.Length > MaxUsernameLength)
        {
            errors.Add("username", $"A username is {MinUsernameLength} to {MaxUsernameLength} characters.");
        }
        else if (!IsUsernameAlphabet(username))
        {
            errors.Add("username", "A username uses only letters a-z, digits, '-' and '_'.");
        }

        if (string.IsNullOrEmpty(password) || password.Length < MinPasswordLength)
        {
            errors.Add("password", $"A password is at least {MinPasswordLength} characters.");
        }
        else if (password.Length > MaxPasswordLength)
        {
            errors.Add("password", $"A password is at most {MaxPasswordLength} characters.");
        }

        return errors;
    }

    // ASCII only: a look-alike letter from another script would make two names that read the same.
    private static bool IsUsernameAlphabet(string username)
    {
        foreach (var c in username)
        {
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
