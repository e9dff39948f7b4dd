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

    /// <summary>
    /// Tokens generated whose text has not been streamed yet (held back as a possible stop string or incomplete
    /// UTF-8, or text-less); the next delta carries their count, so a run's delta counts add up to its usage.
    /// </summary>
    public int TokensHeld { get; set; }

    /// <summary>Tokens counted in the delta events sent so far.</summary>
    public int TokensStreamed { get; set; }

    /// <summary>True once a step gave this sequence tokens (its first is timed as time to first token, later ones as gaps).</summary>
    public bool HasTokens { get; set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> at the end of the last step that gave this sequence tokens.</summary>
    public long LastTokenTimestamp { get; set; }
}
