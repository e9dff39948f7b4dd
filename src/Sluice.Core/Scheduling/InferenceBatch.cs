using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>The dynamic batcher's <see cref="IInferenceBatch"/>: inputs in, one result or error per item out.</summary>
internal sealed class InferenceBatch : IInferenceBatch
{
    private readonly object[] _inputs;
    private readonly CancellationToken[] _tokens;
    private readonly LiveJob?[] _runs;
    private readonly JobLifecycle? _lifecycle;

    public InferenceBatch(int capacity, JobLifecycle? lifecycle)
    {
        _inputs = new object[capacity];
        _tokens = new CancellationToken[capacity];
        _runs = new LiveJob?[capacity];
        Results = new string?[capacity];
        Errors = new string?[capacity];
        Retryable = new bool[capacity];
        RetryAfter = new TimeSpan?[capacity];
        Codes = new string?[capacity];
        _lifecycle = lifecycle;
    }

    public int Count { get; private set; }

    public string?[] Results { get; }

    public string?[] Errors { get; }

    public bool[] Retryable { get; }

    /// <summary>Per item: how long its retry must wait at least, when the model said (see <see cref="SetError(int, string, bool, TimeSpan?)"/>).</summary>
    public TimeSpan?[] RetryAfter { get; }

    /// <summary>Per item: why it failed (one of <see cref="Jobs.JobErrorCodes"/>), when the model said.</summary>
    public string?[] Codes { get; }

    public void Reset()
    {
        Array.Clear(_inputs, 0, Count);
        Array.Clear(_runs, 0, Count);
        Array.Clear(Results, 0, Count);
        Array.Clear(Errors, 0, Count);
        Count = 0;
    }

    /// <summary>Adds an item; <paramref name="run"/> is the control block of the job's run it reports progress for (null: none).</summary>
    public void Add(LiveJob? run, object input, CancellationToken token)
    {
        _runs[Count] = run;
        _inputs[Count] = input;
        _tokens[Count] = token;
        Retryable[Count] = true;
        RetryAfter[Count] = null;
        Codes[Count] = null;
        Count++;
    }

    public object GetInput(int index) => _inputs[index];

    public CancellationToken GetCancellation(int index) => _tokens[index];

    public void SetResult(int index, JsonElement result) => Results[index] = result.GetRawText();

    public void SetError(int index, string message, bool retryable = true) => SetError(index, message, retryable, null);

    public void SetError(int index, string message, bool retryable, TimeSpan? retryAfter) => SetError(index, message, retryable, retryAfter, null);

    public void SetError(int index, string message, bool retryable, TimeSpan? retryAfter, string? code)
    {
        Errors[index] = message;
        Retryable[index] = retryable;
        RetryAfter[index] = retryAfter;
        Codes[index] = code;
    }

    public void ReportProgress(int index, string stage, double fraction, JsonElement? data = null)
    {
        if (_runs[index] is { } run)
        {
            _lifecycle?.Progress(run, stage, fraction, data);
        }
    }
}
