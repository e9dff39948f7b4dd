namespace Sluice.Bench.Reporting;

/// <summary>A small table of already formatted cells (scenario summaries).</summary>
internal sealed record SummaryTable
{
    public required string Title { get; init; }

    public required IReadOnlyList<string> Columns { get; init; }

    public required IReadOnlyList<IReadOnlyList<string>> Rows { get; init; }
}
