using System.CommandLine;
using System.Net.Http.Headers;

namespace Sluice.Cli.Commands;

/// <summary>The <c>--url</c> and <c>--api-key</c> options shared by commands that talk to a running server.</summary>
internal sealed class ClientOptions
{
    /// <summary>Where <c>./sluice serve</c> listens by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public Option<string> Url { get; } = new("--url")
    {
        Description = "Server base URL (env SLUICE_URL).",
        DefaultValueFactory = _ => UrlFromEnvironment(),
    };

    /// <summary>SLUICE_URL, else <see cref="DefaultUrl"/>: the default of every command that talks to a server.</summary>
    public static string UrlFromEnvironment() => Environment.GetEnvironmentVariable("SLUICE_URL") ?? DefaultUrl;

    /// <summary>The variable <see cref="ApiKey"/> falls back to.</summary>
    public const string ApiKeyVariable = "SLUICE_API_KEY";

    // No DefaultValueFactory: --help prints a default's value, and this one is a secret.
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = $"API key (env {ApiKeyVariable})." };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(ApiKey);
    }

    public HttpClient CreateClient(ParseResult result)
    {
        var client = new HttpClient(new ServerUrlHandler()) { BaseAddress = ParseBaseUrl(result.GetValue(Url)!), Timeout = Timeout.InfiniteTimeSpan };
        if ((result.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable)) is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>The server's base URL with a trailing slash; anything but an absolute http(s) URL is a usage error.</summary>
    public static Uri ParseBaseUrl(string text) =>
        Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new CliUsageException($"--url '{text}' is not an http:// or https:// URL (e.g. http://127.0.0.1:8080)");
}
