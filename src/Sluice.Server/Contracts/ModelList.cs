namespace Sluice.Server.Contracts;

/// <summary>The models list.</summary>
public sealed record ModelList(IReadOnlyList<ModelView> Data)
{
    public string Object => "list";
}
