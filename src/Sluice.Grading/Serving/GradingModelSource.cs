using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Grading.Scoring;

namespace Sluice.Grading.Serving;

/// <summary>Offers the <c>essay-grader</c> model (embedded default model, or <c>Sluice:Grading:ModelPath</c>).</summary>
internal sealed class GradingModelSource(IOptions<GradingOptions> options) : IModelSource
{
    /// <summary>Expected milliseconds per essay of a batch, before the model has timed its own.</summary>
    private const double EssayMs = 2.0;

    public IReadOnlyList<ModelCandidate> Discover()
    {
        var o = options.Value;
        string? version;
        if (!string.IsNullOrWhiteSpace(o.ModelPath))
        {
            version = File.Exists(o.ModelPath) ? ModelStore.VersionOf(File.ReadAllBytes(o.ModelPath)) : "missing";
        }
        else
        {
            version = ModelStore.EmbeddedVersion();
            if (version is null)
            {
                return [];
            }
        }

        return
        [
            new ModelCandidate
            {
                Name = EssayGrader.ModelName,
                Kind = ModelKind.Batch,
                Version = version,
                // About 1.5 ms per 350-word essay on one core (docs/grading.md); a full batch even if graded serially.
                Defaults = new SchedulerSettings
                {
                    MaxBatchSize = o.MaxBatchSize,
                    MaxQueueDelayMs = o.MaxQueueDelayMs,
                    ExpectedBatchMs = o.MaxBatchSize * EssayMs,
                    ExpectedItemMs = EssayMs,
                },
                LoadAsync = ct => ValueTask.FromResult<IModel>(new EssayGraderModel(Create(o), o)),
            },
        ];
    }

    /// <summary>
    /// The grader, or the setting to change when its model file is not there (a path that names nothing or a folder):
    /// the server logs that one line, not the stack trace of an unexpected failure, and shows it as the model's error.
    /// </summary>
    private static EssayGrader Create(GradingOptions o)
    {
        try
        {
            return GraderFactory.Create(o);
        }
        catch (IOException ex) when (!string.IsNullOrWhiteSpace(o.ModelPath) && !File.Exists(o.ModelPath))
        {
            throw new GradingModelPathException($"{GradingOptions.SectionName}:{nameof(GradingOptions.ModelPath)} = '{o.ModelPath}': {ex.Message}", ex);
        }
    }
}
