using Microsoft.Extensions.Options;
using Sluice.Core.Models;

namespace Sluice.Core.BuiltIns;

/// <summary>Offers echo, sleep-batch and count.</summary>
internal sealed class BuiltInModelSource(IOptions<BuiltInOptions> options, TimeProvider time) : IModelSource
{
    public IReadOnlyList<ModelCandidate> Discover()
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return [];
        }

        return
        [
            new ModelCandidate
            {
                Name = "echo",
                Kind = ModelKind.Batch,
                // Costs nothing: no batch holds the queue up.
                Defaults = new SchedulerSettings { MaxBatchSize = 64, MaxQueueDelayMs = 0, ExpectedBatchMs = 0 },
                LoadAsync = _ => ValueTask.FromResult<IModel>(new EchoModel()),
            },
            new ModelCandidate
            {
                Name = "sleep-batch",
                Kind = ModelKind.Batch,
                // Its cost is configured, so known exactly: a + b·n for a full batch, b per item for another batch size.
                Defaults = new SchedulerSettings
                {
                    MaxBatchSize = 32,
                    MaxQueueDelayMs = 2,
                    ExpectedBatchMs = o.SleepBatchBaseMs + (o.SleepBatchPerItemMs * 32),
                    ExpectedItemMs = o.SleepBatchPerItemMs,
                },
                LoadAsync = _ => ValueTask.FromResult<IModel>(new SleepBatchModel(time, o.SleepBatchBaseMs, o.SleepBatchPerItemMs)),
            },
            new ModelCandidate
            {
                Name = "count",
                Kind = ModelKind.Generative,
                // One step per number: a run of the default n.
                Defaults = new SchedulerSettings { MaxNumSeqs = 64, ExpectedBatchMs = o.CountStepMs * CountModel.DefaultN },
                LoadAsync = _ => ValueTask.FromResult<IModel>(new CountModel(time, o.CountStepMs)),
            },
        ];
    }
}
