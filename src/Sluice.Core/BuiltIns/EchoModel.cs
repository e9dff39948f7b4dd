using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Core.BuiltIns;

/// <summary>Returns its input unchanged at zero cost: measures the platform's own overhead.</summary>
internal sealed class EchoModel : IBatchModel
{
    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = "echo",
        Version = "1",
        Kind = ModelKind.Batch,
        // Not cached on purpose: overhead benchmarks send identical inputs and must measure the full path.
        Deterministic = false,
        Description = "Returns its input; zero cost, for overhead measurement.",
    };

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        parsed = input;
        error = default;
        return true;
    }

    public ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch.SetResult(i, (JsonElement)batch.GetInput(i));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}
