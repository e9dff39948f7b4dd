using Sluice.Core.Paths;

namespace Sluice.Engine.Serving;

/// <summary>Configuration of the embedded engine, bound from <c>Sluice:Engine</c>.</summary>
public sealed class EngineOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Engine";

    /// <summary>Folders searched for models, in order; empty means <c>./models</c> then the shared <c>models</c> folder.</summary>
    public List<string> ModelsPaths { get; set; } = [];

    /// <summary>KV cache memory budget per model, in MiB.</summary>
    public int KvCacheBudgetMb { get; set; } = 1024;

    /// <summary>Positions per KV cache block.</summary>
    public int KvBlockSize { get; set; } = 16;

    /// <summary>Most sequences one step advances (upper bound of the continuous batcher's <c>max_num_seqs</c>).</summary>
    public int MaxSequences { get; set; } = 32;

    /// <summary>Threads used by a forward pass (0 = all cores).</summary>
    public int Threads { get; set; }

    /// <summary>Most prompt tokens of one sequence read in one step (chunked prefill).</summary>
    public int PrefillChunk { get; set; } = 64;

    /// <summary>
    /// How long a model generates for itself before it is reported ready, in milliseconds. The runtime compiles a
    /// method fully only after it has run a while; without this the first few hundred steps after start-up ran
    /// at less than half speed (measured: 20 ms instead of 8 ms per batch-32 step at the 15M shape).
    /// </summary>
    public int WarmUpMilliseconds { get; set; } = 500;

    /// <summary>
    /// Copy each model's weights into 2 MiB transparent huge pages instead of serving them from the file mapping
    /// (Linux with THP at <c>always</c> or <c>madvise</c>; elsewhere, or when off, weights stay mapped). About 20 %
    /// more tokens/s at batch 16 on the 15M shape in a VM, for the model's size in private memory.
    /// </summary>
    public bool HugePages { get; set; } = true;

    /// <summary>
    /// Copy F32 matrices at load into the panel layout of the outer-product kernels (on huge pages with
    /// <see cref="HugePages"/>). Each matrix becomes one contiguous stream: 20–50 % more tokens/s for a lone
    /// sequence (batch 1), within noise of the default at batch 16 (measured on the 15M and 110M shapes). Off by
    /// default because serving under load is about large batches. Quantized models are unaffected.
    /// </summary>
    public bool PackWeights { get; set; }

    /// <summary>The folders to search: <see cref="ModelsPaths"/>, or the defaults when it is empty.</summary>
    public IReadOnlyList<string> ResolveModelsPaths()
    {
        if (ModelsPaths.Count > 0)
        {
            return ModelsPaths;
        }

        var paths = new List<string> { Path.GetFullPath("models") };
        if (SharedData.TryGetPath("models") is { } shared)
        {
            paths.Add(shared);
        }

        return paths;
    }

    /// <summary><see cref="Threads"/> with 0 resolved to the core count.</summary>
    public int ResolveThreads() => Threads > 0 ? Threads : Environment.ProcessorCount;
}
