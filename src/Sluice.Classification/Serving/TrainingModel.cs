using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Classification.Model;
using Sluice.Classification.Training;
using Sluice.Core.Models;

namespace Sluice.Classification.Serving;

/// <summary>
/// The <c>train</c> model: each job trains the text classifier (seed 001's task, through the ordinary job queue, so a
/// worker that dies mid-training leaves the job to be redelivered and run again). Jobs run one at a time, reporting a
/// <c>progress</c> event per epoch (loss, held-out accuracy) and stopping between epochs when cancelled. The file is
/// written beside the served one and renamed over it; its version is derived from the data and settings, so a re-run
/// writes the same bytes under the same version.
/// </summary>
internal sealed class TrainingModel(ClassificationOptions options, ClassifierReloadSignal signal) : IBatchModel
{
    public const string Name = "train";

    private readonly IReadOnlyList<string> _roots = options.EffectiveTrainingRoots();

    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = Name,
        Version = "1",
        Kind = ModelKind.Batch,
        Deterministic = false,
        Description = $"Training jobs: {{\"model_type\": \"{TrainingInputParser.ModelType}\", \"data_path\", \"epochs\", \"target\"}} trains and publishes '{options.ModelName}'.",
        Metadata = new Dictionary<string, string>
        {
            ["model_types"] = TrainingInputParser.ModelType,
            ["targets"] = options.ModelName,
            ["training_roots"] = string.Join(",", TrainingInputParser.DisplayRoots(options.EffectiveTrainingRoots())),
        },
    };

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        var ok = TrainingInputParser.TryParse(input, options, _roots, out var training, out error);
        parsed = training;
        return ok;
    }

    public ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        // One at a time even if configured with a larger batch: two trainings would compete for the same cores.
        for (var i = 0; i < batch.Count; i++)
        {
            Run(batch, i, cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }

    private void Run(IInferenceBatch batch, int i, CancellationToken cancellationToken)
    {
        var itemToken = batch.GetCancellation(i);
        if (batch.GetInput(i) is not TrainingInput input)
        {
            batch.SetError(i, "input was not parsed by the train model", retryable: false);
            return;
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(itemToken, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Checked again now: a link below a root may have been changed to lead outside since the job was accepted.
            if (!TrainingInputParser.TryResolve(input.DataPath, _roots, out var dataPath))
            {
                throw new TrainingDataException($"training data {input.DataPath} now leads outside the training roots; it was not read");
            }

            var (examples, source) = LabelledTextReader.Read(dataPath, _roots);
            var settings = new TrainingSettings { Epochs = input.Epochs, Seed = options.Seed };
            var result = ClassifierTrainer.Train(examples, source, settings, e => batch.ReportProgress(i, "epoch", (double)e.Epoch / e.Epochs, EpochJson(e)), both.Token);
            var artifact = options.ArtifactPath;
            ClassifierFile.Write(artifact, result.Model);
            signal.Signal();
            batch.SetResult(i, ResultJson(input, artifact, result, Stopwatch.GetElapsedTime(started).TotalSeconds));
        }
        catch (TrainingDataException ex)
        {
            // The data will not improve by retrying: the job fails at once with the file and line at fault.
            batch.SetError(i, ex.Message, retryable: false, retryAfter: null, code: Sluice.Core.Jobs.JobErrorCodes.InvalidInput);
        }
        catch (OperationCanceledException)
        {
            // A cancelled job is not retried; a server stopping (its token, not the job's) gives the job back to the queue.
            batch.SetError(i, "training cancelled between epochs", retryable: !itemToken.IsCancellationRequested);
        }
        catch (IOException ex)
        {
            batch.SetError(i, $"writing the classifier failed: {ex.Message}", retryable: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            // Training is deterministic: what failed once fails again, so the job fails now rather than after every attempt.
            batch.SetError(i, $"training failed: {ex.Message}", retryable: false);
        }
    }

    private static JsonElement EpochJson(EpochReport e)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", e.Epoch);
            w.WriteNumber("epochs", e.Epochs);
            w.WriteNumber("loss", Math.Round(e.Loss, 6));
            w.WriteNumber("accuracy", Math.Round(e.Accuracy, 6));
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static JsonElement ResultJson(TrainingInput input, string artifact, TrainingResult result, double seconds)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (input.TaskId is not null)
            {
                w.WriteString("task_id", input.TaskId);
            }

            w.WriteString("model_type", input.ModelType);
            w.WriteString("target", input.Target);
            w.WriteString("data_path", input.DataPath);
            w.WriteString("artifact", artifact);
            w.WriteString("version", result.Model.Version);
            w.WriteStartObject("metrics");
            w.WriteNumber("epochs", result.Epochs);
            w.WriteNumber("train_examples", result.TrainExamples);
            w.WriteNumber("test_examples", result.TestExamples);
            w.WriteNumber("loss", Math.Round(result.Loss, 6));
            w.WriteNumber("accuracy", Math.Round(result.Accuracy, 6));
            w.WriteNumber("seconds", Math.Round(seconds, 3));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }
}
