using Sluice.Blog.Drafting;
using Sluice.Blog.Security;
using Sluice.Configuration;

namespace Sluice.Blog.Hosting;

/// <summary>
/// Warns at start about each <c>Blog:*</c> key no setting has (<c>Blog:PageSise</c>, <c>Blog:Sluice:BaseUrll</c>),
/// naming the key, the settings there are and the nearest of them: the binder ignores such a key, so a misspelt
/// setting silently kept its default. The same check and messages as the server's for <c>Sluice:*</c>.
/// </summary>
internal sealed partial class BlogSettingsCheck(IConfiguration configuration, ILogger<BlogSettingsCheck> logger) : IHostedService
{
    /// <summary>The subsections under <c>Blog</c>, each bound to its own options class.</summary>
    private static readonly (string Section, Type Options)[] s_sections =
    [
        (SluiceOptions.Section, typeof(SluiceOptions)),
        (RateLimitOptions.Section, typeof(RateLimitOptions)),
        (ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings)),
    ];

    /// <summary>What may stand directly under <c>Blog</c>: the settings of <see cref="BlogOptions"/> and the subsections.</summary>
    private static readonly string[] s_topLevel =
        [.. UnknownSettings.SettingsOf(typeof(BlogOptions)).Concat(s_sections.Select(s => s.Section[(BlogOptions.Section.Length + 1)..])).Order(StringComparer.Ordinal)];

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var child in configuration.GetSection(BlogOptions.Section).GetChildren())
        {
            if (!s_topLevel.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{child.Path} is not a setting or section of {BlogOptions.Section} (they are: {string.Join(", ", s_topLevel)}); it is ignored.{SettingNameHint.DidYouMean(child, s_topLevel)}");
            }
        }

        foreach (var (section, options) in s_sections)
        {
            UnknownSettings.Check(configuration.GetSection(section), [options], problems);
        }

        return problems;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in Problems())
        {
            Log.Problem(logger, problem);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Configuration problem: {Problem}")]
        public static partial void Problem(ILogger logger, string problem);
    }
}
