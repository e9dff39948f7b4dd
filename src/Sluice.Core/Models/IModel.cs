namespace Sluice.Core.Models;

/// <summary>Common contract of every model Sluice serves.</summary>
public interface IModel : IDisposable
{
    /// <summary>Name, version, kind and facts.</summary>
    ModelDescriptor Descriptor { get; }

    /// <summary>
    /// Runs representative work so the first real request pays no JIT or page-in cost.
    /// The model reports ready only after this returns.
    /// </summary>
    ValueTask WarmUpAsync(CancellationToken cancellationToken);
}
