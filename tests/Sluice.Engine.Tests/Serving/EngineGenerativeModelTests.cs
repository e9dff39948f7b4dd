using System.Text.Json;
using Sluice.Core.Models;
using Sluice.Engine.Serving;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Serving;

public sealed class EngineGenerativeModelTests
{
    private static readonly string[] s_prompts =
    [
        "", "Zoo", "The little dog", "Once upon a time", "Lily", "The sun", "A big red ball", "Tom and Sue",
        "One day", "The cat sat", "She was happy", "He ran", "The bird", "Mom said", "In the park", "It was a sunny day",
    ];

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer, TestModels.Golden)]
    public void Step_GoldenPromptsGreedy_ReproduceGoldenTokensAndText()
    {
        using var model = EngineTestHarness.CreateModel();
        foreach (var golden in TestModels.ReadGolden())
        {
            var promptTokens = model.Model.Tokenizer.Encode(golden.Prompt, true, false).Count;
            var request = new GenerationRequest { Prompt = golden.Prompt, MaxTokens = golden.Steps - (promptTokens - 1) };

            var outcome = EngineTestHarness.RunAlone(model, request);

            Assert.Equal(golden.Tokens[(promptTokens - 1)..], outcome.Tokens.Where(t => t != 1).ToList());
            Assert.Equal(golden.Text, golden.Prompt + outcome.Text + "\n");
        }
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Step_SixteenPromptsTogether_SameTokensAsEachAlone()
    {
        using var model = EngineTestHarness.CreateModel();
        var requests = s_prompts.Select(p => new GenerationRequest { Prompt = p, MaxTokens = 60 }).ToArray();
        var alone = requests.Select(r => EngineTestHarness.RunAlone(model, r)).ToArray();

        // Join on different steps; each leaves when done, so the batch changes every step.
        var together = EngineTestHarness.RunTogether(model, requests, i => i % 5);

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Tokens, together[i].Tokens);
            Assert.Equal(alone[i].Text, together[i].Text);
            Assert.Equal(alone[i].Finish, together[i].Finish);
        }

        Assert.Equal(0, model.Pool.ReservedBlocks);
        Assert.Equal(0, model.ActiveSequences);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Step_SeededSampledSequence_SameAloneAndInBatch()
    {
        using var model = EngineTestHarness.CreateModel();
        var seeded = new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 80, Temperature = 0.9f, TopP = 0.95f, Seed = 1234 };
        var others = s_prompts.Select((p, i) => new GenerationRequest { Prompt = p, MaxTokens = 30 + i, Temperature = 1f, Seed = (ulong)i }).ToList();

        var alone = EngineTestHarness.RunAlone(model, seeded);
        var together = EngineTestHarness.RunTogether(model, [.. others, seeded], i => i == others.Count ? 3 : 0)[^1];
        var otherSeed = EngineTestHarness.RunAlone(model, seeded with { Seed = 99 });

        Assert.Equal(alone.Tokens, together.Tokens);
        Assert.Equal(alone.Text, together.Text);
        Assert.NotEqual(alone.Tokens, otherSeed.Tokens);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Step_LongPrompt_FirstTokenAfterChunkedPrefill()
    {
        using var model = EngineTestHarness.CreateModel(new EngineOptions { Threads = 2, PrefillChunk = 64, KvCacheBudgetMb = 64 });
        var prompt = string.Join(' ', Enumerable.Repeat("The little dog ran to the park.", 12));
        var tokens = model.Model.Tokenizer.Encode(prompt, true, false).Count;

        var outcome = EngineTestHarness.RunAlone(model, new GenerationRequest { Prompt = prompt, MaxTokens = 3 });

        Assert.True(tokens > 64);
        Assert.Equal((tokens + 63) / 64 - 1, outcome.FirstTokenStep);
        Assert.Equal(FinishReason.Length, outcome.Finish);
        Assert.Equal(3, outcome.Tokens.Count);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Step_StopString_EndsBeforeItAndDoesNotEmitIt()
    {
        using var model = EngineTestHarness.CreateModel();

        var outcome = EngineTestHarness.RunAlone(model, new GenerationRequest { Prompt = "", MaxTokens = 100, Stop = ["Lily"] });

        Assert.Equal(FinishReason.Stop, outcome.Finish);
        Assert.Equal("Once upon a time, there was a little girl named ", outcome.Text);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Step_MaxTokens_FinishesWithLength()
    {
        using var model = EngineTestHarness.CreateModel();

        var outcome = EngineTestHarness.RunAlone(model, new GenerationRequest { Prompt = "Zoo", MaxTokens = 5 });

        Assert.Equal(FinishReason.Length, outcome.Finish);
        Assert.Equal(5, outcome.Tokens.Count);
        Assert.Equal(" was a little gir", outcome.Text); // " was", " a", " little", " g", "ir"
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Dispose_MidGeneration_FreesKvBlocksAndReportsCancelled()
    {
        using var model = EngineTestHarness.CreateModel();
        Assert.True(model.TryStartSequence(new GenerationRequest { Prompt = "Zoo", MaxTokens = 200 }, out var a));
        Assert.True(model.TryStartSequence(new GenerationRequest { Prompt = "Lily", MaxTokens = 200 }, out var b));
        var outputs = new StepOutput[2];
        for (var i = 0; i < 5; i++)
        {
            model.Step([a, b], outputs);
        }

        var reservedBoth = model.Pool.ReservedBlocks;
        a.Dispose();
        model.Step([a, b], outputs);

        Assert.True(model.Pool.ReservedBlocks < reservedBoth);
        Assert.Equal(FinishReason.Cancelled, outputs[0].Finish);
        Assert.Equal(FinishReason.None, outputs[1].Finish);
        Assert.Equal(1, outputs[1].GeneratedTokens);
        b.Dispose();
        Assert.Equal(0, model.Pool.ReservedBlocks);
        Assert.Equal(0, model.ActiveSequences);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Dispose_FromAnotherThreadDuringSteps_NoFailureAndAllBlocksReturned()
    {
        using var model = EngineTestHarness.CreateModel();
        var sequences = new IGenerationSequence[8];
        for (var i = 0; i < sequences.Length; i++)
        {
            Assert.True(model.TryStartSequence(new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 400 }, out var seq));
            sequences[i] = seq;
        }

        var canceller = Task.Run(async () =>
        {
            foreach (var seq in sequences)
            {
                await Task.Delay(3);
                seq.Dispose();
            }
        });
        var outputs = new StepOutput[sequences.Length];
        while (!canceller.IsCompleted)
        {
            model.Step(sequences, outputs);
        }

        canceller.Wait();
        model.Step(sequences, outputs);

        Assert.All(outputs, o => Assert.Equal(FinishReason.Cancelled, o.Finish));
        Assert.Equal(0, model.Pool.ReservedBlocks);
        Assert.Equal(0, model.ActiveSequences);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryStartSequence_KvBudgetExhausted_FalseUntilASequenceLeaves()
    {
        // 260K: 5 layers * 2 * 32 floats = 1280 bytes per position; 1 MiB holds 819 positions = 51 blocks of 16.
        using var model = EngineTestHarness.CreateModel(new EngineOptions { Threads = 1, KvCacheBudgetMb = 1, KvBlockSize = 16 });
        var request = new GenerationRequest { Prompt = "Zoo", MaxTokens = 300 }; // 303 positions = 19 blocks

        Assert.True(model.TryStartSequence(request, out var first));
        Assert.True(model.TryStartSequence(request, out var second));
        Assert.False(model.TryStartSequence(request, out var third));
        Assert.Null(third);

        first.Dispose();
        Assert.True(model.TryStartSequence(request, out third));
        second.Dispose();
        third!.Dispose();
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryStartSequence_SequenceLeftWhileTheStepLockWasHeldAndNoStepFollows_ItsBlocksAreFreed()
    {
        // A sequence disposed while a step holds the lock (a direct inference's, as the batcher's step ends) queues its
        // blocks for that step to free; when it leaves after the step's own drain, no later step may come. Here the lock
        // is held by the test (standing for that step's last instructions), as the engine's own code would hold it.
        using var model = EngineTestHarness.CreateModel(new EngineOptions { Threads = 1, KvCacheBudgetMb = 1, KvBlockSize = 16 });
        var request = new GenerationRequest { Prompt = "Zoo", MaxTokens = 300 }; // 19 of 51 blocks: two fit
        Assert.True(model.TryStartSequence(request, out var first));
        Assert.True(model.TryStartSequence(request, out var second));
        var stepLock = (Lock)typeof(EngineGenerativeModel).GetField("_stepLock", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(model)!;

        stepLock.Enter();
        try
        {
            // Another thread, as the lock is held by this one (a sequence leaving elsewhere finds it taken).
            var leaving = new Thread(first.Dispose);
            leaving.Start();
            leaving.Join();
        }
        finally
        {
            stepLock.Exit();
        }

        Assert.True(model.TryStartSequence(request, out var third));
        Assert.Equal(2 * 19, model.Pool.ReservedBlocks);
        second.Dispose();
        third!.Dispose();
        Assert.Equal(0, model.Pool.ReservedBlocks);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryStartSequence_MaxSequencesReached_False()
    {
        using var model = EngineTestHarness.CreateModel(new EngineOptions { Threads = 1, MaxSequences = 2 });
        var request = new GenerationRequest { Prompt = "Zoo", MaxTokens = 4 };

        Assert.True(model.TryStartSequence(request, out var a));
        Assert.True(model.TryStartSequence(request, out var b));
        Assert.False(model.TryStartSequence(request, out _));
        a.Dispose();
        Assert.True(model.TryStartSequence(request, out var c));
        b.Dispose();
        c!.Dispose();
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryValidate_PromptLongerThanContext_FailsOnPromptWithClearMessage()
    {
        using var model = EngineTestHarness.CreateModel();
        var prompt = string.Join(' ', Enumerable.Repeat("The little dog ran to the park.", 100));

        Assert.False(model.TryValidate(new GenerationRequest { Prompt = prompt }, out var error));
        Assert.Equal("input.prompt", error.Field);
        Assert.Contains("context of stories260k is 512 tokens", error.Message);
        Assert.Throws<ArgumentException>(() => model.TryStartSequence(new GenerationRequest { Prompt = prompt }, out _));
        Assert.True(model.TryValidate(new GenerationRequest { Prompt = "Zoo" }, out _));
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryValidate_SequenceLargerThanWholeBudget_FailsOnMaxTokens()
    {
        using var model = EngineTestHarness.CreateModel(new EngineOptions { KvCacheBudgetMb = 1, KvBlockSize = 1024 });

        Assert.False(model.TryValidate(new GenerationRequest { Prompt = "Zoo", MaxTokens = 500 }, out var error));
        Assert.Equal("input.max_tokens", error.Field);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public async Task WarmUpAsync_LeavesNoSequenceBehind()
    {
        using var model = EngineTestHarness.CreateModel();

        await model.WarmUpAsync(CancellationToken.None);

        Assert.Equal(0, model.ActiveSequences);
        Assert.Equal(0, model.Pool.ReservedBlocks);
        Assert.Equal(ModelKind.Generative, model.Descriptor.Kind);
        Assert.Equal("512", model.Descriptor.Metadata!["context_length"]);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void TryParseInput_FullInput_MapsEveryField()
    {
        using var model = EngineTestHarness.CreateModel();
        using var doc = JsonDocument.Parse("""{ "prompt": "Hi", "max_tokens": 12, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": 5, "stop": ["\n", "END"] }""");

        Assert.True(model.TryParseInput(doc.RootElement, out var request, out _));
        Assert.Equal(new GenerationRequest { Prompt = "Hi", MaxTokens = 12, Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 5, Stop = request!.Stop }, request);
        Assert.Equal(["\n", "END"], request.Stop);
    }
}
