using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Classification.Model;
using Sluice.Classification.Text;
using Sluice.Core.Models;

namespace Sluice.Classification.Serving;

/// <summary>
/// The served text classifier (a batch model): <c>{"text"}</c> → <c>{"label", "probabilities", "model_version"}</c>.
/// Between batches, at most every <see cref="ClassificationOptions.ReloadCheckMs"/> or at once when training in this
/// process signalled, it compares the classifier file's write time and length with the loaded one's and swaps in the
/// new weights (one reference, so a batch scores with one version throughout); workers in other processes sharing the
/// folder find a new file the same way. Not marked deterministic: the weights change under the same version of the
/// model entry, and the result cache would answer with the old model's label. With no file yet it serves the committed
/// default (<see cref="CommittedClassifier"/>) unless <see cref="ClassificationOptions.UseCommittedModel"/> is off.
/// </summary>
internal sealed class TextClassifierModel : IBatchModel
{
    private readonly ClassificationOptions _options;
    private readonly ClassifierReloadSignal _signal;
    private readonly TimeProvider _time;
    private readonly string _path;
    private readonly object _refreshGate = new();
    private volatile LoadedClassifier? _current;
    private volatile ModelDescriptor _descriptor;
    private long _lastCheck;
    private int _seenGeneration;
    private volatile string? _loadError;

    public TextClassifierModel(ClassificationOptions options, ClassifierReloadSignal signal, TimeProvider time)
    {
        _options = options;
        _signal = signal;
        _time = time;
        _path = options.ArtifactPath;
        _seenGeneration = signal.Generation;
        _lastCheck = time.GetTimestamp();
        _current = TryLoad(null);
        _descriptor = DescriptorOf(_current);
    }

    /// <summary>
    /// The descriptor of the version now served, refreshed as batches are (a job records the version at its submission,
    /// and a gateway that runs no batches would otherwise keep the version it loaded).
    /// </summary>
    public ModelDescriptor Descriptor
    {
        get
        {
            RefreshIfDue();
            return _descriptor;
        }
    }

    /// <summary>The version now served (null before a classifier file exists).</summary>
    public string? ServedVersion => _current?.Weights.Version;

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        var ok = ClassifierInputParser.TryParse(input, _options.MaxTextChars, out var text, out error);
        parsed = text;
        return ok;
    }

    public ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        RefreshIfDue();
        var loaded = _current;
        var counts = new Dictionary<int, float>();
        var word = new List<char>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch.GetCancellation(i).IsCancellationRequested || cancellationToken.IsCancellationRequested)
            {
                batch.SetError(i, "cancelled before classification", retryable: !batch.GetCancellation(i).IsCancellationRequested);
                continue;
            }

            if (loaded is null)
            {
                batch.SetError(i, _loadError ?? $"no trained classifier at {_path} yet: submit a training job (model 'train') or run ./sluice classifier train", retryable: false);
                continue;
            }

            if (batch.GetInput(i) is not ClassifierInput input)
            {
                batch.SetError(i, "input was not parsed by the classifier", retryable: false);
                continue;
            }

            batch.SetResult(i, Classify(loaded.Weights, input.Text, counts, word));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        if (_current is { } loaded)
        {
            Classify(loaded.Weights, "a warm-up sentence that was not bad at all", new Dictionary<int, float>(), []);
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }

    /// <summary>Loads a newer classifier file when one is due to be looked for; a bad file keeps the weights in use.</summary>
    internal void RefreshIfDue()
    {
        // Request threads (Descriptor) and the batcher both call this: the fast path only reads, and one caller at a
        // time looks at the file while the others go on with the weights in use.
        var generation = _signal.Generation;
        var now = _time.GetTimestamp();
        if (generation == Volatile.Read(ref _seenGeneration) && _time.GetElapsedTime(Interlocked.Read(ref _lastCheck), now).TotalMilliseconds < _options.ReloadCheckMs)
        {
            return;
        }

        if (!Monitor.TryEnter(_refreshGate))
        {
            return;
        }

        try
        {
            Volatile.Write(ref _seenGeneration, generation);
            Interlocked.Exchange(ref _lastCheck, now);
            var next = TryLoad(_current);
            if (!ReferenceEquals(next, _current))
            {
                _descriptor = DescriptorOf(next);
                _current = next;
            }
        }
        finally
        {
            Monitor.Exit(_refreshGate);
        }
    }

    internal static JsonElement Classify(ClassifierWeights weights, string text, Dictionary<int, float> counts, List<char> word)
    {
        TextFeatures.Extract(text, weights.Bits, counts, word);
        Span<double> p = stackalloc double[weights.Labels.Length];
        weights.Predict(SparseVector.From(counts), p);
        var best = ClassifierWeights.ArgMax(p);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("label", weights.Labels[best]);
            w.WriteStartObject("probabilities");
            for (var k = 0; k < p.Length; k++)
            {
                w.WriteNumber(weights.Labels[k], Math.Round(p[k], 6));
            }

            w.WriteEndObject();
            w.WriteString("model_version", weights.Version);
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private LoadedClassifier? TryLoad(LoadedClassifier? current)
    {
        try
        {
            var info = new FileInfo(_path);
            if (!info.Exists)
            {
                // No file yet: the committed default, marked with a write time no file has, so the first file replaces it.
                return current ?? (_options.UseCommittedModel ? new LoadedClassifier(CommittedClassifier.Weights, DateTime.MinValue, -1) : null);
            }

            if (current is not null && current.WriteTime == info.LastWriteTimeUtc && current.Length == info.Length)
            {
                return current;
            }

            var loaded = new LoadedClassifier(ClassifierFile.Read(_path), info.LastWriteTimeUtc, info.Length);
            _loadError = null;
            return loaded;
        }
        catch (IOException ex)
        {
            // Kept until a good file replaces it: the weights in use stay, and with none the items say why.
            _loadError = ex.Message;
            return current;
        }
    }

    private ModelDescriptor DescriptorOf(LoadedClassifier? loaded) => new()
    {
        Name = _options.ModelName,
        Version = loaded?.Weights.Version ?? "untrained",
        Kind = ModelKind.Batch,
        Deterministic = false,
        Description = "Text classifier (hashed word and character n-grams, logistic regression); retrained by 'train' jobs, new versions picked up without a restart.",
        Metadata = new Dictionary<string, string>
        {
            ["path"] = loaded is { Length: -1 } ? CommittedClassifier.Source : _path,
            ["trained_on"] = loaded?.Weights.TrainedOn ?? "",
            ["labels"] = loaded is null ? "" : string.Join(",", loaded.Weights.Labels),
        },
    };
}
