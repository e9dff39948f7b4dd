using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Core.BuiltIns;

/// <summary>
/// A deterministic stand-in for an accelerator-bound model: one batch of n items takes <c>a + b·n</c> ms of
/// wall time (not CPU), so batching gains are exactly predictable. Input: any JSON object; <c>"fail": true</c>
/// makes the item fail every time (for retry and dead-letter tests).
/// </summary>
internal sealed class SleepBatchModel(TimeProvider time, double baseMs, double perItemMs) : IBatchModel
{
    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = "sleep-batch",
        Version = "1",
        Kind = ModelKind.Batch,
        Deterministic = false,
        Description = string.Create(CultureInfo.InvariantCulture, $"Test model costing {baseMs} + {perItemMs}·batch_size ms per batch."),
    };

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            parsed = null;
            error = new InputError("input", "sleep-batch takes a JSON object.");
            return false;
        }

        if (input.TryGetProperty("fail", out var fail) && fail.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            parsed = null;
            error = new InputError("input.fail", "must be a boolean.");
            return false;
        }

        parsed = input;
        error = default;
        return true;
    }

    public async ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        var ms = baseMs + (perItemMs * batch.Count);
        if (ms > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), time, cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var input = (JsonElement)batch.GetInput(i);
            if (input.TryGetProperty("fail", out var fail) && fail.ValueKind == JsonValueKind.True)
            {
                batch.SetError(i, "sleep-batch was asked to fail");
                continue;
            }

            using var doc = JsonDocument.Parse(string.Create(CultureInfo.InvariantCulture, $"{{\"batch_size\":{batch.Count},\"cost_ms\":{ms},\"input\":{input.GetRawText()}}}"));
            batch.SetResult(i, doc.RootElement.Clone());
        }
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}
