using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Jobs;

namespace Sluice.Postgres;

/// <summary>
/// A batch of events as one array per column, unnested server-side so many events are one statement
/// (<c>@j, @i, @t, @d, @a</c>, and <c>@n</c>, <c>@r</c> for the attempts and their runs' starts).
/// </summary>
internal sealed class PostgresEventArrays
{
    private PostgresEventArrays(int count)
    {
        Jobs = new string[count];
        Ids = new long[count];
        Types = new string[count];
        Data = new string[count];
        At = new long[count];
        Attempts = new int?[count];
        RunStarts = new long?[count];
    }

    public string[] Jobs { get; }

    public long[] Ids { get; }

    public string[] Types { get; }

    public string[] Data { get; }

    /// <summary>Unix milliseconds.</summary>
    public long[] At { get; }

    /// <summary>The attempt that produced each event, where known.</summary>
    public int?[] Attempts { get; }

    /// <summary>When that attempt's run started (Unix milliseconds), where known: with the attempt, the run's identity.</summary>
    public long?[] RunStarts { get; }

    public static PostgresEventArrays From(IReadOnlyList<JobEvent> events)
    {
        var a = new PostgresEventArrays(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            a.Jobs[i] = e.JobId;
            a.Ids[i] = e.Id;
            a.Types[i] = e.Type;
            a.Data[i] = e.DataJson;
            a.At[i] = e.At.ToUnixTimeMilliseconds();
            a.Attempts[i] = e.Attempt;
            a.RunStarts[i] = e.RunStartedAt?.ToUnixTimeMilliseconds();
        }

        return a;
    }

    public void AddTo(NpgsqlParameterCollection parameters, bool withAttempts)
    {
        parameters.AddWithValue("j", Jobs);
        parameters.AddWithValue("i", Ids);
        parameters.AddWithValue("t", Types);
        parameters.AddWithValue("d", Data);
        parameters.AddWithValue("a", At);
        if (withAttempts)
        {
            parameters.Add(new NpgsqlParameter("n", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = Attempts });
            parameters.Add(new NpgsqlParameter("r", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = RunStarts });
        }
    }
}
