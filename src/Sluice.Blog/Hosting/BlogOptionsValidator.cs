using System.Net;
using Microsoft.Extensions.Options;
using Sluice.Blog.Drafting;
using Sluice.Blog.Security;

namespace Sluice.Blog.Hosting;

/// <summary>Checks the settings at start, so a wrong value stops the start naming it instead of failing the first draft.</summary>
internal sealed class BlogOptionsValidator : IValidateOptions<BlogOptions>, IValidateOptions<SluiceOptions>, IValidateOptions<RateLimitOptions>,
    IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.KnownProxies[i], out _))
            {
                failures.Add($"{ForwardedHeadersSettings.Section}:KnownProxies:{i} = '{options.KnownProxies[i]}' is not an IP address such as 10.0.0.5.");
            }
        }

        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.KnownNetworks[i], out _))
            {
                failures.Add($"{ForwardedHeadersSettings.Section}:KnownNetworks:{i} = '{options.KnownNetworks[i]}' is not a network in CIDR form such as 10.0.0.0/8.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }


    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        if (options.WindowSeconds is < 1 or > 86_400)
        {
            failures.Add($"{RateLimitOptions.Section}:WindowSeconds = {options.WindowSeconds} is out of range (1 to 86400).");
        }

        Count(failures, nameof(RateLimitOptions.SignInPerAddress), options.SignInPerAddress);
        Count(failures, nameof(RateLimitOptions.SignInPerUser), options.SignInPerUser);
        Count(failures, nameof(RateLimitOptions.RegisterPerAddress), options.RegisterPerAddress);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        static void Count(List<string> failures, string setting, int value)
        {
            if (value is < 1 or > 100_000)
            {
                failures.Add($"{RateLimitOptions.Section}:{setting} = {value} is out of range (1 to 100000).");
            }
        }
    }

    public ValidateOptionsResult Validate(string? name, BlogOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            return ValidateOptionsResult.Fail("Blog:DataDir must name a folder.");
        }

        if (options.PageSize is < 1 or > 100)
        {
            return ValidateOptionsResult.Fail($"Blog:PageSize = {options.PageSize} is out of range (1 to 100).");
        }

        return options.CacheSeconds is < 0 or > 86_400
            ? ValidateOptionsResult.Fail($"Blog:CacheSeconds = {options.CacheSeconds} is out of range (0 to 86400).")
            : ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, SluiceOptions options)
    {
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return ValidateOptionsResult.Fail($"Blog:Sluice:BaseUrl = '{options.BaseUrl}' is not an http(s) address such as http://127.0.0.1:8080.");
        }

        if (options.ApiKey.Length > 0 && (options.ApiKey.Trim() != options.ApiKey || options.ApiKey.Any(char.IsControl)))
        {
            // A key with a newline or padding would be refused by every request, or break the header.
            return ValidateOptionsResult.Fail("Blog:Sluice:ApiKey has spaces around it or control characters.");
        }

        if (options.TimeoutSeconds is < 1 or > 3600)
        {
            return ValidateOptionsResult.Fail($"Blog:Sluice:TimeoutSeconds = {options.TimeoutSeconds} is out of range (1 to 3600).");
        }

        return options.MaxTokens is < 0 or > 8192
            ? ValidateOptionsResult.Fail($"Blog:Sluice:MaxTokens = {options.MaxTokens} is out of range (0 to 8192; 0: the task's default).")
            : ValidateOptionsResult.Success;
    }
}
