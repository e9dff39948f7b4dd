namespace Sluice.Core.Models;

/// <summary>How a model is scheduled.</summary>
public enum ModelKind
{
    /// <summary>One-shot inference, <c>inputs[] → outputs[]</c>, served by the dynamic batcher.</summary>
    Batch,

    /// <summary>Step-by-step generation of a batch of sequences, served by the continuous batcher.</summary>
    Generative,
}
