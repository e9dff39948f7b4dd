using System.Text;

namespace Sluice.Server.Apis;

/// <summary>
/// Keeps a streamed completion whole when its job restarts mid-stream (a worker died; the job's events then carry a
/// second <c>started</c> and the text again from the beginning). Text already sent is not sent twice: the new run's
/// text is matched against it and only what goes beyond is passed on. A run that writes something else (sampled
/// generation) cannot be stitched on, and is reported as diverged.
/// </summary>
internal sealed class RestartedRunFilter
{
    private readonly StringBuilder _sent = new();
    private int _matched = -1; // -1: not replaying; else how much of _sent the new run has repeated so far.
    private int _runs;

    /// <summary>Characters of completion text passed on so far.</summary>
    public int SentLength => _sent.Length;

    /// <summary>
    /// A <c>started</c> event: after the first, the following text repeats what was sent. Counted, not read from its
    /// <c>attempt</c>: a run handed back at a server stop or during a store outage starts again with the same number.
    /// </summary>
    public void OnStarted()
    {
        if (++_runs > 1 && _sent.Length > 0)
        {
            _matched = 0;
        }
    }

    /// <summary>The text that follows is a whole run's from its beginning (another run's stored result), whatever was seen before.</summary>
    public void OnWholeRun()
    {
        _runs++;
        _matched = _sent.Length > 0 ? 0 : -1;
    }

    /// <summary>
    /// The part of a delta's <paramref name="text"/> to send ("" while a restarted run repeats what was sent);
    /// false when the restarted run wrote something other than what the client already has.
    /// </summary>
    public bool TryFilter(string text, out string toSend)
    {
        if (_matched < 0)
        {
            _sent.Append(text);
            toSend = text;
            return true;
        }

        var overlap = Math.Min(text.Length, _sent.Length - _matched);
        for (var i = 0; i < overlap; i++)
        {
            if (text[i] != _sent[_matched + i])
            {
                toSend = "";
                return false;
            }
        }

        _matched += overlap;
        if (_matched < _sent.Length)
        {
            toSend = "";
            return true;
        }

        // Caught up: from here on the new run's text is new to the client.
        _matched = -1;
        toSend = text[overlap..];
        _sent.Append(toSend);
        return true;
    }
}
