using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sluice.Engine.Serving;

/// <summary>
/// Checks <c>Sluice:Engine</c> at start, naming the setting and its range. Unchecked, a <c>KvBlockSize</c> of
/// 2147483647 overflowed the KV cache pool's block arithmetic when the first model loaded, zero or negative values
/// were silently clamped to 1 (a <c>KvCacheBudgetMb</c> of 0 left a model that refused every request for want of
/// KV blocks, a negative <c>Threads</c> meant all cores), and a huge <c>MaxSequences</c> sized the batch buffers
/// for that many rows at load.
/// </summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    // Upper bounds are well past any real use and short of an overflow: 1024 positions per block is four times
    // vLLM's largest and keeps a block's layers * 2 * size * kv_dim floats within an int for real model sizes
    // (1.3e9 for 80 layers of kv_dim 8192), 4096 matches Sluice:Models:{model}:MaxNumSeqs, and 1024 threads (the
    // shared worker team has one per core anyway) or a 10-minute warm-up are already absurd.
    internal const int MaxKvBlockSize = 1024;
    internal const int MaxKvCacheBudgetMb = 1 << 20;
    internal const int MaxMaxSequences = 4096;
    internal const int MaxThreads = 1024;
    internal const int MaxPrefillChunk = 65536;
    internal const int MaxWarmUpMilliseconds = 600_000;

    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var errors = new List<string>();
        Check(errors, nameof(options.KvBlockSize), options.KvBlockSize, 1, MaxKvBlockSize);
        Check(errors, nameof(options.KvCacheBudgetMb), options.KvCacheBudgetMb, 1, MaxKvCacheBudgetMb);
        Check(errors, nameof(options.MaxSequences), options.MaxSequences, 1, MaxMaxSequences);
        Check(errors, nameof(options.Threads), options.Threads, 0, MaxThreads);
        Check(errors, nameof(options.PrefillChunk), options.PrefillChunk, 1, MaxPrefillChunk);
        Check(errors, nameof(options.WarmUpMilliseconds), options.WarmUpMilliseconds, 0, MaxWarmUpMilliseconds);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{EngineOptions.SectionName}:{setting} = {value} must be from {min} to {max}."));
        }
    }
}
