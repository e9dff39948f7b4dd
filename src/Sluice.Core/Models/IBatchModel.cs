using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Sluice.Core.Models;

/// <summary>A one-shot model: the dynamic batcher hands it many inputs at once.</summary>
public interface IBatchModel : IModel
{
    /// <summary>
    /// Validates a job's <c>input</c> before the job is accepted and turns it into the model's own input object.
    /// Never throws for bad input: returns false with the field at fault.
    /// </summary>
    bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error);

    /// <summary>Infers every item of <paramref name="batch"/>; called from the batcher's own loop, one batch at a time.</summary>
    ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken);
}
