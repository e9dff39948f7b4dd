using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;

namespace Sluice.Classification.Serving;

/// <summary>Offers the text classifier (<c>Sluice:Classification:ModelName</c>) and the <c>train</c> model that retrains it.</summary>
internal sealed class ClassificationModelSource(IOptions<ClassificationOptions> options, IConfiguration configuration, ClassifierReloadSignal signal, TimeProvider time) : IModelSource
{
    /// <summary>Expected milliseconds per sentence of a batch, before the model has timed its own.</summary>
    private const double SentenceMs = 0.2;

    /// <summary>What one training job is expected to take (3,000 sentences, 10 epochs), for a full queue's Retry-After.</summary>
    private const double TrainingMs = 5000;

    public IReadOnlyList<ModelCandidate> Discover()
    {
        // The classifier's folders follow the server's data folder unless set, as the SQLite store's file does.
        var o = options.Value.ResolvedFor(configuration["Sluice:Storage:DataDir"]);
        return
        [
            new ModelCandidate
            {
                Name = o.ModelName,
                Kind = ModelKind.Batch,
                Version = "file",
                Defaults = new SchedulerSettings
                {
                    MaxBatchSize = o.MaxBatchSize,
                    MaxQueueDelayMs = o.MaxQueueDelayMs,
                    ExpectedBatchMs = o.MaxBatchSize * SentenceMs,
                    ExpectedItemMs = SentenceMs,
                },
                LoadAsync = ct => ValueTask.FromResult<IModel>(new TextClassifierModel(o, signal, time)),
            },
            new ModelCandidate
            {
                Name = TrainingModel.Name,
                Kind = ModelKind.Batch,
                Version = "1",
                // One job at a time, as a worker with prefetch 1: a training job takes the cores while it runs.
                Defaults = new SchedulerSettings { MaxBatchSize = 1, MaxQueueDelayMs = 0, ExpectedBatchMs = TrainingMs, ExpectedItemMs = TrainingMs },
                LoadAsync = ct => ValueTask.FromResult<IModel>(new TrainingModel(o, signal)),
            },
        ];
    }
}
