using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Core.BuiltIns;

/// <summary>
/// A tiny generative model that streams the numbers 1..n, one token per step; each step costs a fixed time
/// whatever the batch size (like a memory-bound decoder). Input: <c>{ "n": 10 }</c>. For stream, cancellation
/// and continuous-batching tests.
/// </summary>
internal sealed class CountModel(TimeProvider time, double stepMs) : IGenerativeModel
{
    public const int MaxN = 100_000;

    /// <summary>n when the input gives none.</summary>
    public const int DefaultN = 10;

    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = "count",
        Version = "1",
        Kind = ModelKind.Generative,
        Deterministic = true,
        Description = "Streams the numbers 1..n, one token per step.",
    };

    public int MaxSequences => 256;

    /// <summary>Sequences currently holding a slot (for tests of slot reuse).</summary>
    public int LiveSequences => Volatile.Read(ref _live);

    private int _live;

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error)
    {
        request = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", "count takes a JSON object like {\"n\": 10}.");
            return false;
        }

        var n = DefaultN;
        var limitSeen = false;
        foreach (var p in input.EnumerateObject())
        {
            // "max_tokens" and the other generation fields: the shape the OpenAI endpoints journal a request in, which
            // a worker in another process (or this one after a restart) reads back; count counts to max_tokens.
            if ((p.NameEquals("n") || p.NameEquals("max_tokens")) && p.Value.ValueKind == JsonValueKind.Null)
            {
                // Not given, as null is for every optional generation parameter: the default applies.
                continue;
            }

            if (p.NameEquals("n") || p.NameEquals("max_tokens"))
            {
                if (!JsonInteger.TryGetInt32(p.Value, out n) || n < 1 || n > MaxN)
                {
                    error = new InputError("input." + p.Name, $"must be an integer from 1 to {MaxN}.");
                    return false;
                }

                if (limitSeen)
                {
                    error = new InputError("input." + p.Name, "give n or max_tokens, not both.");
                    return false;
                }

                limitSeen = true;
            }
            else if (!GenerationJson.IsField(p.Name))
            {
                error = new InputError("input." + ClientText.Echo(p.Name), "unknown field; count takes \"n\" (or a generation request's prompt, max_tokens …).");
                return false;
            }
        }

        request = new GenerationRequest { MaxTokens = n };
        error = default;
        return true;
    }

    /// <summary>The same bound as <see cref="TryParseInput"/> for requests built elsewhere (the OpenAI endpoints).</summary>
    public bool TryValidate(GenerationRequest request, out InputError error)
    {
        if (request.MaxTokens is < 1 or > MaxN)
        {
            error = new InputError("input.max_tokens", $"count counts from 1 to at most {MaxN}.");
            return false;
        }

        error = default;
        return true;
    }

    public bool TryStartSequence(GenerationRequest request, [NotNullWhen(true)] out IGenerationSequence? sequence)
    {
        Interlocked.Increment(ref _live);
        sequence = new CountSequence(request, () => Interlocked.Decrement(ref _live));
        return true;
    }

    public void Step(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs)
    {
        if (stepMs > 0)
        {
            // Blocking on purpose: a step occupies the model the way a real forward pass does.
            var until = time.GetTimestamp() + (long)(stepMs * time.TimestampFrequency / 1000);
            while (time.GetTimestamp() < until)
            {
                Thread.Sleep(1);
            }
        }

        for (var i = 0; i < batch.Length; i++)
        {
            var s = (CountSequence)batch[i];
            s.Generated++;
            outputs[i].Delta = (s.Generated == 1 ? "" : " ") + s.Generated.ToString(CultureInfo.InvariantCulture);
            outputs[i].GeneratedTokens = 1;
            outputs[i].Finish = s.Generated >= s.Request.MaxTokens ? FinishReason.Length : FinishReason.None;
        }
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}
