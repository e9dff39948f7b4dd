using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.BuiltIns;
using Sluice.Core.Models;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// The built-in <c>count</c> under the name <c>count-flaky</c>, whose first sequence start throws an error no model
/// contract foresees (an engine bug, an I/O failure): the continuous batcher's loop fails with the job in hand.
/// </summary>
internal sealed class StartThrowsOnceModel : IGenerativeModel, IModelSource
{
    public const string Name = "count-flaky";

    private readonly CountModel _inner = new(TimeProvider.System, 1);
    private int _starts;

    public ModelDescriptor Descriptor { get; } = new() { Name = Name, Version = "1", Kind = ModelKind.Generative, Deterministic = true, Description = "count whose first start throws." };

    public int MaxSequences => _inner.MaxSequences;

    public IReadOnlyList<ModelCandidate> Discover() =>
    [
        new ModelCandidate { Name = Name, Kind = ModelKind.Generative, LoadAsync = _ => ValueTask.FromResult<IModel>(this) },
    ];

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error) =>
        _inner.TryParseInput(input, out request, out error);

    public bool TryValidate(GenerationRequest request, out InputError error) => _inner.TryValidate(request, out error);

    public bool TryStartSequence(GenerationRequest request, [NotNullWhen(true)] out IGenerationSequence? sequence)
    {
        if (Interlocked.Increment(ref _starts) == 1)
        {
            throw new IOException("the engine's weights could not be read (test)");
        }

        return _inner.TryStartSequence(request, out sequence);
    }

    public void Step(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs) => _inner.Step(batch, outputs);

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose() => _inner.Dispose();
}
