using System.Text;
using Sluice.Core.Models;
using Sluice.Core.Queueing;

namespace Sluice.Core.Scheduling;

/// <summary>A sequence in the continuous batcher's running batch.</summary>
internal sealed class ActiveSequence(QueuedJob job, LiveJob live, IGenerationSequence sequence, long startTimestamp)
{
    public QueuedJob Job { get; } = job;

    public LiveJob Live { get; } = live;

    public IGenerationSequence Sequence { get; } = sequence;

    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Text streamed so far (becomes the result).</summary>
    public StringBuilder Text { get; } = new();
}
