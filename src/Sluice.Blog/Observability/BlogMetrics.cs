using System.Diagnostics.Metrics;
using Sluice.Core.Metrics;

namespace Sluice.Blog.Observability;

/// <summary>
/// The blog's Prometheus metrics (seed 003's request count and latency, cache hits, AI generation time), recorded on
/// the <c>Sluice.Blog</c> meter and served at <c>/metrics</c> by Sluice's own exporter in the text exposition format.
/// </summary>
internal sealed class BlogMetrics : IDisposable
{
    public const string MeterName = "Sluice.Blog";

    private static readonly double[] RequestBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] DraftBounds = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

    /// <summary>The <c>outcome</c> label of each <see cref="DraftOutcome"/>, made once.</summary>
    private static readonly string[] Outcomes = OutcomeLabels();

    private static readonly KeyValuePair<string, object?> CacheHit = new("result", "hit");
    private static readonly KeyValuePair<string, object?> CacheMiss = new("result", "miss");

    private readonly Meter _meter;
    private readonly PrometheusExporter _exporter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestSeconds;
    private readonly Counter<long> _pageCache;
    private readonly Counter<long> _drafts;
    private readonly Histogram<double> _draftFirstTextSeconds;
    private readonly Histogram<double> _draftSeconds;
    private readonly Counter<long> _postsCreated;
    private readonly Counter<long> _postsUpdated;
    private readonly Counter<long> _usersRegistered;

    public BlogMetrics(IMeterFactory meterFactory)
    {
        // A meter per container: the exporter listens to this one alone, even with several blogs in one process (the tests).
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("sluice_blog_requests_total", description: "HTTP requests answered, by route pattern, method and status.");
        _requestSeconds = _meter.CreateHistogram("sluice_blog_request_duration_seconds", "s", "Time to answer a request (an event stream: until it ends).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RequestBounds });
        _pageCache = _meter.CreateCounter<long>("sluice_blog_page_cache_total", description: "Anonymous reads of the cached pages (home, post), by whether the output cache answered.");
        _drafts = _meter.CreateCounter<long>("sluice_blog_drafts_total", description: "AI drafts, by how they ended.");
        _draftFirstTextSeconds = _meter.CreateHistogram("sluice_blog_draft_first_text_seconds", "s", "From the draft request to the first generated text relayed.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DraftBounds });
        _draftSeconds = _meter.CreateHistogram("sluice_blog_draft_seconds", "s", "From the draft request to its job's end (completed drafts).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DraftBounds });
        _postsCreated = _meter.CreateCounter<long>("sluice_blog_posts_created_total", description: "Posts created.");
        _postsUpdated = _meter.CreateCounter<long>("sluice_blog_posts_updated_total", description: "Posts edited.");
        _usersRegistered = _meter.CreateCounter<long>("sluice_blog_users_registered_total", description: "Users registered.");
        _exporter = new PrometheusExporter(_meter);

        // The exporter writes a series once it has a measurement: the fixed ones start at 0, as a scrape has always shown them.
        _pageCache.Add(0, CacheHit);
        _pageCache.Add(0, CacheMiss);
        foreach (var outcome in Outcomes)
        {
            _drafts.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        _postsCreated.Add(0);
        _postsUpdated.Add(0);
        _usersRegistered.Add(0);
    }

    public void Request(RequestKey key, double seconds, bool? cacheHit)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("route", key.Route), new KeyValuePair<string, object?>("method", key.Method),
            new KeyValuePair<string, object?>("status", StatusTags.Of(key.Status)));
        _requestSeconds.Record(seconds);
        if (cacheHit is { } hit)
        {
            _pageCache.Add(1, hit ? CacheHit : CacheMiss);
        }
    }

    public void Draft(DraftOutcome outcome, double? firstTextSeconds, double? totalSeconds)
    {
        _drafts.Add(1, new KeyValuePair<string, object?>("outcome", Outcomes[(int)outcome]));
        if (firstTextSeconds is { } first)
        {
            _draftFirstTextSeconds.Record(first);
        }

        if (totalSeconds is { } total)
        {
            _draftSeconds.Record(total);
        }
    }

    public void PostCreated() => _postsCreated.Add(1);

    public void PostUpdated() => _postsUpdated.Add(1);

    public void UserRegistered() => _usersRegistered.Add(1);

    /// <summary>Every blog metric in the Prometheus text format 0.0.4.</summary>
    public string Render() => _exporter.Render();

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }

    private static string[] OutcomeLabels()
    {
        var outcomes = Enum.GetValues<DraftOutcome>();
        var labels = new string[outcomes.Length];
        foreach (var outcome in outcomes)
        {
            labels[(int)outcome] = outcome.ToString().ToLowerInvariant();
        }

        return labels;
    }
}
