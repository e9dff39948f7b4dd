namespace Sluice.Core.Metrics;

/// <summary>
/// HTTP status codes as tag values, every valid one boxed once: counting a request by its status (the server's and
/// the blog's <c>…_requests_total</c>) then boxes nothing.
/// </summary>
public static class StatusTags
{
    private static readonly object[] s_statuses = BoxStatuses();

    /// <summary>The boxed <paramref name="status"/>: a shared box for 100-599, a new one for anything else.</summary>
    public static object Of(int status) => (uint)(status - 100) < (uint)s_statuses.Length ? s_statuses[status - 100] : status;

    private static object[] BoxStatuses()
    {
        var boxed = new object[500];
        for (var i = 0; i < boxed.Length; i++)
        {
            boxed[i] = 100 + i;
        }

        return boxed;
    }
}
