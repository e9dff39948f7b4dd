namespace Sluice.Core.Models;

/// <summary>Lifecycle of a registered model; only <see cref="Ready"/> models take work.</summary>
public enum ModelState
{
    Loading,
    Warming,
    Ready,
    Failed,
}
