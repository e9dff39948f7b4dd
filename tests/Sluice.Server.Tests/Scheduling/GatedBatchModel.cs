using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// A batch model named <c>gated</c> whose batches wait for <see cref="Open"/>: it holds its dynamic batcher busy (no
/// job is read from the queue meanwhile) for exactly as long as a test needs, with no sleep.
/// </summary>
internal sealed class GatedBatchModel : IBatchModel, IModelSource
{
    public const string Name = "gated";

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ModelDescriptor Descriptor { get; } = new() { Name = Name, Version = "1", Kind = ModelKind.Batch, Deterministic = false, Description = "batches wait for the test's gate." };

    /// <summary>Completes when the first batch has begun (and holds the batcher).</summary>
    public Task Entered => _entered.Task;

    public void Open() => _gate.TrySetResult();

    public IReadOnlyList<ModelCandidate> Discover() =>
    [
        new ModelCandidate { Name = Name, Kind = ModelKind.Batch, LoadAsync = _ => ValueTask.FromResult<IModel>(this) },
    ];

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        parsed = input.Clone();
        error = default;
        return true;
    }

    public async ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < batch.Count; i++)
        {
            batch.SetResult(i, (JsonElement)batch.GetInput(i));
        }
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose() => _gate.TrySetResult();
}
