namespace Sluice.Core.Scheduling;

/// <summary>Outcome kind of a <see cref="DirectInference"/> run.</summary>
public enum DirectStatus
{
    Succeeded,
    Failed,
    UnknownModel,
    ModelUnavailable,
    InvalidInput,
}
