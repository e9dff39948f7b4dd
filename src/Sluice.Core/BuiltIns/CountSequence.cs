using Sluice.Core.Models;

namespace Sluice.Core.BuiltIns;

/// <summary>State of one count sequence.</summary>
internal sealed class CountSequence(GenerationRequest request, Action release) : IGenerationSequence
{
    private int _disposed;

    public GenerationRequest Request { get; } = request;

    public int PromptTokens => 0;

    public int GeneratedTokens => Generated;

    public int Generated { get; set; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            release();
        }
    }
}
