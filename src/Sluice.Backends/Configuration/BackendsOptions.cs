namespace Sluice.Backends.Configuration;

/// <summary>Every configured backend by name (section <c>Sluice:Backends</c>); empty by default.</summary>
public sealed class BackendsOptions : Dictionary<string, BackendOptions>
{
    public const string SectionName = "Sluice:Backends";

    public BackendsOptions()
        : base(StringComparer.Ordinal)
    {
    }
}
