using System.Text;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;

namespace Sluice.Core.Scheduling;

/// <summary>A sequence in the continuous batcher's running batch.</summary>
internal sealed class ActiveSequence(QueuedJob job, LiveJob live, IGenerationSequence sequence, long startTimestamp)
{
    private TokenTimer _tokens;

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

    /// <summary>Its token timing (time to first token, inter-token gaps), updated in place.</summary>
    public ref TokenTimer Tokens => ref _tokens;
}
