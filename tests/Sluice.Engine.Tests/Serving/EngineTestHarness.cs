using System.Text;
using Sluice.Core.Models;
using Sluice.Engine.Serving;

namespace Sluice.Engine.Tests.Serving;

/// <summary>Drives an <see cref="EngineGenerativeModel"/> the way a continuous batcher does.</summary>
internal static class EngineTestHarness
{
    public static EngineGenerativeModel CreateModel(EngineOptions? options = null) =>
        new(TestModels.LoadBin(), "stories260k", options ?? new EngineOptions { Threads = 2, MaxSequences = 32, KvCacheBudgetMb = 64 }, "test");

    /// <summary>Result of one sequence.</summary>
    internal sealed record Outcome(string Text, List<int> Tokens, FinishReason Finish, int Steps, int FirstTokenStep);

    /// <summary>Runs one request alone until it finishes.</summary>
    public static Outcome RunAlone(EngineGenerativeModel model, GenerationRequest request) => RunTogether(model, [request], _ => 0)[0];

    /// <summary>
    /// Runs requests in one continuous batch: request i joins at step <paramref name="joinStep"/>(i) and leaves as
    /// soon as it finishes (its slot is disposed before the next step).
    /// </summary>
    public static Outcome[] RunTogether(EngineGenerativeModel model, IReadOnlyList<GenerationRequest> requests, Func<int, int> joinStep)
    {
        var texts = new StringBuilder[requests.Count];
        var outcomes = new Outcome?[requests.Count];
        var sequences = new IGenerationSequence?[requests.Count];
        var firstToken = new int[requests.Count];
        var running = new List<int>();
        for (var step = 0; step < 10_000 && Array.Exists(outcomes, o => o is null); step++)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (sequences[i] is null && outcomes[i] is null && joinStep(i) <= step)
                {
                    Assert.True(model.TryStartSequence(requests[i], out var seq));
                    sequences[i] = seq;
                    texts[i] = new StringBuilder();
                    firstToken[i] = -1;
                    running.Add(i);
                }
            }

            if (running.Count == 0)
            {
                continue;
            }

            var batch = new IGenerationSequence[running.Count];
            for (var j = 0; j < running.Count; j++)
            {
                batch[j] = sequences[running[j]]!;
            }

            var outputs = new StepOutput[batch.Length];
            model.Step(batch, outputs);
            for (var j = running.Count - 1; j >= 0; j--)
            {
                var i = running[j];
                texts[i].Append(outputs[j].Delta);
                if (outputs[j].GeneratedTokens > 0 && firstToken[i] < 0)
                {
                    firstToken[i] = step - joinStep(i);
                }

                if (outputs[j].Finish != FinishReason.None)
                {
                    var seq = (EngineSequence)sequences[i]!;
                    outcomes[i] = new Outcome(texts[i].ToString(), [.. seq.Tokens], outputs[j].Finish, step, firstToken[i]);
                    seq.Dispose();
                    running.RemoveAt(j);
                }
            }
        }

        return Array.ConvertAll(outcomes, o => o!);
    }
}
