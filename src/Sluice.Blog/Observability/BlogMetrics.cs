using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sluice.Blog.Observability;

/// <summary>
/// The blog's Prometheus metrics (seed 003's request count and latency, cache hits, AI generation time), served at
/// <c>/metrics</c> in the text exposition format.
/// </summary>
internal sealed class BlogMetrics
{
    private static readonly double[] RequestBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] DraftBounds = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

    private readonly ConcurrentDictionary<RequestKey, StrongBox> _requests = new();
    private readonly Histogram _requestSeconds = new(RequestBounds);
    private readonly Histogram _draftFirstTextSeconds = new(DraftBounds);
    private readonly Histogram _draftSeconds = new(DraftBounds);
    private readonly long[] _drafts = new long[Enum.GetValues<DraftOutcome>().Length];
    private long _cacheHits;
    private long _cacheMisses;
    private long _postsCreated;
    private long _postsUpdated;
    private long _usersRegistered;

    public void Request(RequestKey key, double seconds, bool? cacheHit)
    {
        var counter = _requests.GetOrAdd(key, static _ => new StrongBox());
        Interlocked.Increment(ref counter.Value);
        _requestSeconds.Observe(seconds);
        if (cacheHit == true)
        {
            Interlocked.Increment(ref _cacheHits);
        }
        else if (cacheHit == false)
        {
            Interlocked.Increment(ref _cacheMisses);
        }
    }

    public void Draft(DraftOutcome outcome, double? firstTextSeconds, double? totalSeconds)
    {
        Interlocked.Increment(ref _drafts[(int)outcome]);
        if (firstTextSeconds is { } first)
        {
            _draftFirstTextSeconds.Observe(first);
        }

        if (totalSeconds is { } total)
        {
            _draftSeconds.Observe(total);
        }
    }

    public void PostCreated() => Interlocked.Increment(ref _postsCreated);

    public void PostUpdated() => Interlocked.Increment(ref _postsUpdated);

    public void UserRegistered() => Interlocked.Increment(ref _usersRegistered);

    public string Render()
    {
        var text = new StringBuilder(4096);
        text.Append("# HELP sluice_blog_requests_total HTTP requests answered, by route pattern, method and status.\n# TYPE sluice_blog_requests_total counter\n");
        foreach (var (key, count) in _requests)
        {
            text.Append("sluice_blog_requests_total{route=\"").Append(Escape(key.Route)).Append("\",method=\"").Append(key.Method).Append("\",status=\"")
                .Append(key.Status.ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(Volatile.Read(ref count.Value).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP sluice_blog_request_duration_seconds Time to answer a request (an event stream: until it ends).\n# TYPE sluice_blog_request_duration_seconds histogram\n");
        _requestSeconds.Write(text, "sluice_blog_request_duration_seconds", "");
        text.Append("# HELP sluice_blog_page_cache_total Anonymous reads of the cached pages (home, post), by whether the output cache answered.\n# TYPE sluice_blog_page_cache_total counter\n")
            .Append("sluice_blog_page_cache_total{result=\"hit\"} ").Append(Volatile.Read(ref _cacheHits).ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("sluice_blog_page_cache_total{result=\"miss\"} ").Append(Volatile.Read(ref _cacheMisses).ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP sluice_blog_drafts_total AI drafts, by how they ended.\n# TYPE sluice_blog_drafts_total counter\n");
        foreach (var outcome in Enum.GetValues<DraftOutcome>())
        {
            text.Append("sluice_blog_drafts_total{outcome=\"").Append(outcome.ToString().ToLowerInvariant()).Append("\"} ")
                .Append(Volatile.Read(ref _drafts[(int)outcome]).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP sluice_blog_draft_first_text_seconds From the draft request to the first generated text relayed.\n# TYPE sluice_blog_draft_first_text_seconds histogram\n");
        _draftFirstTextSeconds.Write(text, "sluice_blog_draft_first_text_seconds", "");
        text.Append("# HELP sluice_blog_draft_seconds From the draft request to its job's end (completed drafts).\n# TYPE sluice_blog_draft_seconds histogram\n");
        _draftSeconds.Write(text, "sluice_blog_draft_seconds", "");
        Counter(text, "sluice_blog_posts_created_total", "Posts created.", _postsCreated);
        Counter(text, "sluice_blog_posts_updated_total", "Posts edited.", _postsUpdated);
        Counter(text, "sluice_blog_users_registered_total", "Users registered.", _usersRegistered);
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n")
            .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>A counter cell of the dictionary, incremented in place.</summary>
    private sealed class StrongBox
    {
        public long Value;
    }
}
