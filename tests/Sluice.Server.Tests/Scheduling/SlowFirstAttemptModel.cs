using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;
using Sluice.Server.Tests.Admission;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// A batch model named <c>slow-first</c> whose first batch takes <see cref="FirstAttempt"/> on the server's shifted clock
/// (the wall clock jumps by that much, no sleep) and then fails, retryably; every later batch echoes its inputs.
/// </summary>
internal sealed class SlowFirstAttemptModel(ShiftedTimeProvider clock) : IBatchModel, IModelSource
{
    public const string Name = "slow-first";

    /// <summary>How long the first attempt seems to run.</summary>
    public static readonly TimeSpan FirstAttempt = TimeSpan.FromSeconds(100);

    private int _batches;

    public ModelDescriptor Descriptor { get; } = new() { Name = Name, Version = "1", Kind = ModelKind.Batch, Deterministic = false, Description = "the first attempt is slow and fails." };

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

    public ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        var first = Interlocked.Increment(ref _batches) == 1;
        if (first)
        {
            clock.Offset += FirstAttempt;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (first)
            {
                batch.SetError(i, "the first attempt failed (test)", retryable: true);
            }
            else
            {
                batch.SetResult(i, (JsonElement)batch.GetInput(i));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}
