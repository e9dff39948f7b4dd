using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Core.Events;

/// <summary>
/// Live event streams of jobs: assigns gapless per-job ids, keeps the events of live and recently finished
/// jobs for replay, and fans them out to subscribers (SSE, WebSocket, <c>Prefer: wait</c>). A cross-process
/// implementation (RabbitMQ exchange) delivers events produced on a worker to any gateway.
/// </summary>
public interface IJobEventHub
{
    /// <summary>
    /// Appends an event to a job's stream and wakes its subscribers. A job's stream starts with its <c>queued</c> event
    /// (or a seed); the in-process hub drops any other event for a job it holds no stream for (a run reporting after its
    /// settled stream was swept).
    /// </summary>
    JobEvent Append(string jobId, string type, string dataJson);

    /// <summary>Subscribes to a job's events after <paramref name="afterId"/>; false when the hub has no stream for the job.</summary>
    bool TrySubscribe(string jobId, long afterId, [NotNullWhen(true)] out JobEventSubscription? subscription);

    /// <summary>
    /// All events of a job the hub still holds (for storing them at completion), copied once into an array with
    /// <paramref name="room"/> free slots after them: a completion's stored list (its events and then its terminal one)
    /// is then the only copy made.
    /// </summary>
    JobEvent[] Snapshot(string jobId, int room);

    /// <summary>Ends a job's stream after its terminal event; the hub keeps it briefly for late subscribers.</summary>
    void Complete(string jobId);

    /// <summary>
    /// Appends a run's terminal event as the store got it (its id, type and data) and ends the stream, only while the
    /// stream is still that run's: its next id is the terminal event's. False (nothing appended or ended) once the stream
    /// was replaced meanwhile (a requeue after the outcome was stored seeds the next run's stream past that id): an
    /// earlier run's end must not close a later run's stream. A hub that can publish that very event does, rather than
    /// build another.
    /// </summary>
    bool TryEnd(string jobId, JobEvent terminal)
    {
        if (NextId(jobId) != terminal.Id)
        {
            return false;
        }

        Append(jobId, terminal.Type, terminal.DataJson);
        Complete(jobId);
        return true;
    }

    /// <summary>Open subscriptions (the <c>sluice_open_streams</c> gauge).</summary>
    int OpenSubscriptions { get; }

    /// <summary>
    /// Id the next event of the job will get. A cross-process hub may hold only the tail of a stream (the rest is
    /// in the store), so the terminal event's id cannot be derived from the snapshot's length alone.
    /// </summary>
    long NextId(string jobId)
    {
        var events = Snapshot(jobId, 0);
        return events.Length == 0 ? 1 : events[^1].Id + 1;
    }

    /// <summary>
    /// Starts a job's stream afresh after <paramref name="lastId"/>: a requeued dead letter continues its ids, so a
    /// client resuming with <c>Last-Event-ID</c> never gets an id it has already seen for another event. Subscribers of a
    /// stream this replaces are ended (they go on from the store), never left waiting on it.
    /// </summary>
    void Seed(string jobId, long lastId);

    /// <summary>
    /// Starts the stream of a requeued job's next run after <paramref name="lastId"/>, replacing the one held. Its
    /// followers are ended; a hub that serves the next run's events live marks their subscriptions
    /// <see cref="JobEventSubscription.Superseded"/> so they subscribe again, others go on from the store.
    /// </summary>
    void Restart(string jobId, long lastId)
    {
        Forget(jobId);
        Seed(jobId, lastId);
    }

    /// <summary>
    /// A run of the job starts in this process, as the store recorded it: the events appended from now on are that
    /// run's (a hub that stores the events of running jobs stamps them with <paramref name="run"/>, so the store refuses
    /// them once the job has left that run).
    /// </summary>
    void BeginRun(string jobId, JobRun run)
    {
    }

    /// <summary>Forgets a job's stream at once, ending its subscribers' channels (they go on from the store).</summary>
    void Forget(string jobId)
    {
    }
}
