using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Sluice.Core.Scheduling;

/// <summary>The live jobs of this process, by id.</summary>
internal sealed class LiveJobs
{
    private readonly ConcurrentDictionary<string, LiveJob> _jobs = new(StringComparer.Ordinal);

    public int Count => _jobs.Count;

    public LiveJob GetOrAdd(string id, string model) => _jobs.GetOrAdd(id, static (i, m) => new LiveJob(i, m), model);

    public bool TryGet(string id, [NotNullWhen(true)] out LiveJob? job) => _jobs.TryGetValue(id, out job);

    /// <summary>
    /// Registers a new control block under <paramref name="old"/>'s id in its place (a newer run of the job takes over
    /// here while the old run still goes on with its own block), or the one registered meanwhile. The old run is
    /// superseded first, so none of its events reaches the stream the new run's events go to (see <see cref="LiveJob.Supersede"/>).
    /// </summary>
    public LiveJob Replace(LiveJob old, string model)
    {
        old.Supersede();
        var fresh = new LiveJob(old.Id, model);
        if (_jobs.TryUpdate(old.Id, fresh, old))
        {
            old.Retire();
            return fresh;
        }

        return GetOrAdd(old.Id, model);
    }

    /// <summary>
    /// Forgets the job's control block, superseding the run it may still hold (a new run of the job starts afresh, see
    /// <see cref="LiveJob.Supersede"/>).
    /// </summary>
    public void Supersede(string id)
    {
        if (_jobs.TryGetValue(id, out var old))
        {
            old.Supersede();
            if (_jobs.TryRemove(new KeyValuePair<string, LiveJob>(id, old)))
            {
                old.Retire();
            }
        }
    }

    /// <summary>A snapshot of the live jobs (for the shutdown path, not the hot path).</summary>
    public LiveJob[] Snapshot() => [.. _jobs.Values];

    /// <summary>
    /// Forgets a finished job, disposing its deadline timer (see <see cref="LiveJob.Retire"/>). Its token source is
    /// deliberately not disposed: a batcher may still hold the <see cref="LiveJob"/> and read its token, and a source
    /// with no timer owns nothing that needs disposing.
    /// </summary>
    public void Remove(string id)
    {
        if (_jobs.TryRemove(id, out var gone))
        {
            gone.Retire();
        }
    }

    /// <summary>Forgets this control block only (not a newer one registered under the same id since).</summary>
    public void Remove(LiveJob job)
    {
        if (_jobs.TryRemove(new KeyValuePair<string, LiveJob>(job.Id, job)))
        {
            job.Retire();
        }
    }
}
