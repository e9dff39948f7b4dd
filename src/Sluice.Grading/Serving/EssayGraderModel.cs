using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Grading.Serving;

/// <summary>
/// The <c>essay-grader</c> batch model: validates job inputs, grades a batch (items in parallel across cores, each
/// item's stages in order) and reports the stages spelling → grammar → structure → scoring → feedback as progress.
/// Deterministic: the same input always gives the same result.
/// </summary>
internal sealed class EssayGraderModel : IBatchModel
{
    private const string WarmUpEssay =
        "Dear editor, I believe that computers help people learn. First, students can find information quickly. " +
        "For example, my sister used the internet to research her science project. However, people should also exercise and " +
        "spend time with their families. In conclusion, computers are useful when we use them wisely.";

    private readonly EssayGrader _grader;
    private readonly GradingOptions _options;

    public EssayGraderModel(EssayGrader grader, GradingOptions options)
    {
        _grader = grader;
        _options = options;
        Descriptor = new ModelDescriptor
        {
            Name = EssayGrader.ModelName,
            Version = grader.Version,
            // The spelling dictionaries decide part of a grade too (spelling flags, suggestions, features).
            CacheVersion = grader.Version + "+" + grader.Dictionary.Fingerprint,
            Kind = ModelKind.Batch,
            Deterministic = true,
            Description = "Explainable essay grader (ASAP prompts 1-8 or prompt-independent): scores, traits, suggestions, statistics, drivers, flags.",
            Metadata = new Dictionary<string, string>
            {
                ["trained_on"] = grader.Model.TrainedOn,
                ["prompts"] = string.Join(",", grader.Model.Prompts.Select(p => p.Prompt)),
                ["dictionary"] = grader.Dictionary.Source,
                ["max_words"] = options.MaxWords.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["stages"] = string.Join(",", GradingStages.All),
            },
        };
    }

    public ModelDescriptor Descriptor { get; }

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        var ok = EssayInputParser.TryParse(input, _options, out var essay, out error);
        parsed = essay;
        return ok;
    }

    public ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) };
        try
        {
            Parallel.For(0, batch.Count, parallel, i => GradeItem(batch, i, gate, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // Items not yet graded are failed below; the batcher decides what to do with them.
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        _grader.Grade(new EssayRequest(WarmUpEssay, 1));
        _grader.Grade(new EssayRequest(WarmUpEssay, null));
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }

    private void GradeItem(IInferenceBatch batch, int i, object gate, CancellationToken cancellationToken)
    {
        var itemToken = batch.GetCancellation(i);
        if (cancellationToken.IsCancellationRequested || itemToken.IsCancellationRequested)
        {
            lock (gate)
            {
                batch.SetError(i, "cancelled before grading", retryable: !itemToken.IsCancellationRequested);
            }

            return;
        }

        try
        {
            if (batch.GetInput(i) is not EssayInput input)
            {
                lock (gate)
                {
                    batch.SetError(i, "input was not parsed by the essay-grader model", retryable: false);
                }

                return;
            }

            var result = _grader.Grade(input.ToRequest(), (stage, fraction) =>
            {
                lock (gate)
                {
                    batch.ReportProgress(i, stage, fraction);
                }
            });
            var json = GradeResultJson.ToElement(result);
            lock (gate)
            {
                batch.SetResult(i, json);
            }
        }
        catch (Exception ex)
        {
            // Grading must never take the batch down: the item fails alone, and not retryably (it is deterministic).
            lock (gate)
            {
                batch.SetError(i, $"grading failed: {ex.Message}", retryable: false);
            }
        }
    }
}
