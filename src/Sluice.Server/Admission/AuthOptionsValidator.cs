using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;

namespace Sluice.Server.Admission;

/// <summary>
/// Refuses API key settings that cannot work, at start. Checked only when the first request built the
/// authenticator, a key without a secret or with a malformed hash let the server start, report ready and then
/// answer every <c>/v1</c> request with 500; a burst below one request admitted nothing while its 429 promised a
/// retry in a second. The configuration binder drops a list entry it cannot read (a limit that is not a number)
/// without a word, which left a server whose only key had such a typo open to everyone: entries are checked as written.
/// </summary>
internal sealed class AuthOptionsValidator(IConfiguration configuration) : IValidateOptions<AuthOptions>
{
    private const string Section = "Sluice:Auth:Keys";
    private const string HexDigits = "0123456789abcdefABCDEF";

    // Read from ApiKeyOptions itself, so a setting added there is accepted here without a second list to keep in step.
    private static readonly string[] Settings = [.. ServerStartException.SettingsOf(typeof(ApiKeyOptions))];
    private static readonly string[] NumberSettings =
        [.. ServerStartException.SettingsOf(typeof(ApiKeyOptions)).Where(name => typeof(ApiKeyOptions).GetProperty(name)!.PropertyType == typeof(double))];

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var written = new List<IConfigurationSection>(configuration.GetSection(Section).GetChildren());
        foreach (var entry in written)
        {
            foreach (var setting in entry.GetChildren())
            {
                if (!Settings.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
                {
                    failures.Add($"{setting.Path} is not a key setting (expected {string.Join(", ", Settings)})");
                }
                else if (NumberSettings.Contains(setting.Key, StringComparer.OrdinalIgnoreCase) && setting.Value is { } v
                    && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    failures.Add($"{setting.Path} = '{v}' is not a number");
                }
            }
        }

        if (failures.Count == 0 && written.Count != options.Keys.Count && written.Count > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section} lists {written.Count} keys but {options.Keys.Count} could be read"));
        }

        if (failures.Count > 0)
        {
            return ValidateOptionsResult.Fail(failures);
        }

        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var k = options.Keys[i];
            // Entries are read in the order the binder reads them; their indices as written may have gaps.
            var at = written.Count == options.Keys.Count ? written[i].Path : string.Create(CultureInfo.InvariantCulture, $"{Section}:{i}");
            if (string.IsNullOrWhiteSpace(k.Id))
            {
                failures.Add($"{at}:Id is required (the key's stable name, owner of its jobs; never the secret)");
            }

            string? hash = null;
            var hasKey = !string.IsNullOrEmpty(k.Key);
            var hasSha = !string.IsNullOrEmpty(k.Sha256);
            if (hasKey && hasSha)
            {
                failures.Add($"{at} has both Key and Sha256; give one (Sha256 keeps the secret out of configuration)");
            }
            else if (hasSha)
            {
                if (k.Sha256!.Length != 64 || k.Sha256.AsSpan().ContainsAnyExcept(HexDigits))
                {
                    failures.Add($"{at}:Sha256 must be 64 hex digits, the SHA-256 of the secret (printf %s \"$KEY\" | sha256sum)");
                }
                else
                {
                    hash = k.Sha256.ToLowerInvariant();
                }
            }
            else if (hasKey)
            {
                hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(k.Key!)));
            }
            else
            {
                failures.Add($"{at} needs Key (the secret) or Sha256 (its hex SHA-256)");
            }

            if (hash is not null)
            {
                if (secrets.TryGetValue(hash, out var first))
                {
                    // Which id the secret authenticates as (owner of its jobs, its limits) would be a guess.
                    failures.Add($"{at} has the same secret as {first}");
                }
                else
                {
                    secrets[hash] = at;
                }
            }

            CheckLimits(failures, at + ":RequestsPerSecond", k.RequestsPerSecond, at + ":Burst", k.Burst);
            if (!(k.TokensPerMinute >= 0) || double.IsInfinity(k.TokensPerMinute))
            {
                failures.Add($"{at}:TokensPerMinute must be a number of at least 0 (0 = unlimited)");
            }
        }

        CheckLimits(failures, "Sluice:Auth:AnonymousRequestsPerSecond", options.AnonymousRequestsPerSecond, "Sluice:Auth:AnonymousBurst", options.AnonymousBurst);
        if (options.StreamTokenSeconds is < StreamTokens.MinSeconds or > StreamTokens.MaxSeconds)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"Sluice:Auth:StreamTokenSeconds = {options.StreamTokenSeconds} is out of range: a stream token lives {StreamTokens.MinSeconds} to {StreamTokens.MaxSeconds} seconds"));
        }

        // A short or blank secret would make every token guessable; one set by mistake on a single gateway shows up
        // as other gateways refusing its tokens, which the docs say.
        if (options.StreamTokenSecret is { } secret && (secret.Trim().Length != secret.Length || secret.Length < StreamTokens.MinSecretLength))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"Sluice:Auth:StreamTokenSecret must be at least {StreamTokens.MinSecretLength} characters without leading or trailing spaces (e.g. openssl rand -base64 32), the same on every gateway"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckLimits(List<string> failures, string rateName, double rate, string burstName, double burst)
    {
        // Written as !(x >= 0) so that NaN fails too.
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            failures.Add($"{rateName} must be a number of at least 0 (0 = unlimited)");
        }

        if (!(burst >= 0) || double.IsInfinity(burst) || burst is > 0 and < 1)
        {
            failures.Add($"{burstName} must be at least 1, since every request takes one from the bucket (0 or unset: the larger of 1 and the rate)");
        }
    }
}
