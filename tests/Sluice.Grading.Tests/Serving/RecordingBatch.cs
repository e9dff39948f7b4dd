using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Grading.Tests.Serving;

/// <summary>An in-memory <see cref="IInferenceBatch"/> that records what the model reports (thread-safe).</summary>
internal sealed class RecordingBatch(IReadOnlyList<object> inputs, CancellationToken[]? cancellations = null) : IInferenceBatch
{
    private readonly object _gate = new();

    public int Count => inputs.Count;

    public JsonElement?[] Results { get; } = new JsonElement?[inputs.Count];

    public string?[] Errors { get; } = new string?[inputs.Count];

    public List<(int Index, string Stage, double Fraction)> Progress { get; } = [];

    public object GetInput(int index) => inputs[index];

    public CancellationToken GetCancellation(int index) => cancellations?[index] ?? CancellationToken.None;

    public void SetResult(int index, JsonElement result)
    {
        lock (_gate)
        {
            Assert.Null(Results[index]);
            Assert.Null(Errors[index]);
            Results[index] = result.Clone();
        }
    }

    public void SetError(int index, string message, bool retryable = true)
    {
        lock (_gate)
        {
            Assert.Null(Results[index]);
            Errors[index] = message;
        }
    }

    public void ReportProgress(int index, string stage, double fraction, JsonElement? data = null)
    {
        lock (_gate)
        {
            Progress.Add((index, stage, fraction));
        }
    }
}
