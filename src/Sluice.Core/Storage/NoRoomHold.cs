using System.Globalization;

namespace Sluice.Core.Storage;

/// <summary>
/// A store's memory of its latest write refused for want of room (a full disk), for its write check: on a nearly full
/// disk the check's own write is small enough to fit while a submit's insert is not, so the check alone turned ready
/// again two seconds after every refused submit and readiness flapped. Held until a later submit's write goes through,
/// or for <see cref="HoldFor"/> at most (a process out of rotation gets no submits to prove the room is back).
/// </summary>
internal sealed class NoRoomHold(TimeProvider time)
{
    /// <summary>Longest hold after the latest refused write: readiness changes at most this often on a disk that stays nearly full.</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(30);

    private volatile Refusal? _latest;

    /// <summary>A write was refused for want of room, for <paramref name="reason"/> (the store's words).</summary>
    public void Refused(string reason) => _latest = new Refusal(reason.Split('\n')[0].TrimEnd(), time.GetTimestamp());

    /// <summary>A submit's write went through: there is room again.</summary>
    public void Wrote()
    {
        // Read first: the writer calls this for every insert, and a write to a shared field would cost it under load.
        if (_latest is not null)
        {
            _latest = null;
        }
    }

    /// <summary>Throws <see cref="StoreUnavailableException"/> while a refusal is held.</summary>
    public void ThrowIfHeld()
    {
        if (_latest is { } refusal && time.GetElapsedTime(refusal.At) is var ago && ago < HoldFor)
        {
            throw new StoreUnavailableException(string.Create(CultureInfo.InvariantCulture,
                $"the job store cannot write now: {refusal.Reason} (a write {ago.TotalSeconds:0} s ago; held until a submit's write goes through, {HoldFor.TotalSeconds:0} s at most)"));
        }
    }

    private sealed record Refusal(string Reason, long At);
}
