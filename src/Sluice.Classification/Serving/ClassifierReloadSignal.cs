namespace Sluice.Classification.Serving;

/// <summary>
/// Tells the served classifier of this process that training wrote a new file, so its next batch loads it without
/// waiting for the periodic check (which is what other processes sharing the folder rely on).
/// </summary>
internal sealed class ClassifierReloadSignal
{
    private int _generation;

    public int Generation => Volatile.Read(ref _generation);

    public void Signal() => Interlocked.Increment(ref _generation);
}
