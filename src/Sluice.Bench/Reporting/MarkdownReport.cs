using System.Text;
using Sluice.Bench.Load;

namespace Sluice.Bench.Reporting;

/// <summary>results.md: summaries, the stage table, status breakdowns, links to the charts.</summary>
internal static class MarkdownReport
{
    public static string Render(BenchRun run, IReadOnlyList<ChartFile> charts)
    {
        ArgumentNullException.ThrowIfNull(run);
        var md = new StringBuilder();
        md.Append("# ").Append(run.Name).Append("\n\n");
        md.Append("- started: ").Append(run.StartedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        if (run.Command.Length > 0)
        {
            md.Append("- command: `").Append(run.Command).Append("`\n");
        }

        if (run.Target.Length > 0)
        {
            md.Append("- target: ").Append(run.Target).Append('\n');
        }

        md.Append("- machine: ").Append(run.Machine.ProcessorCount).Append(" cores, ").Append(run.Machine.MemoryMiB).Append(" MiB, ")
            .Append(run.Machine.Os).Append(", ").Append(run.Machine.Runtime).Append("\n\n");

        foreach (SummaryTable table in run.Summaries)
        {
            md.Append("## ").Append(table.Title).Append("\n\n");
            AppendTable(md, table.Columns, table.Rows);
            md.Append('\n');
        }

        if (run.Notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (string note in run.Notes)
            {
                md.Append("- ").Append(note).Append('\n');
            }

            md.Append('\n');
        }

        md.Append("## Stages\n\n");
        var rows = new List<IReadOnlyList<string>>();
        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult s in series.Stages)
            {
                rows.Add(StageTable.Row(series.Name, s));
            }
        }

        AppendTable(md, StageTable.Columns, rows);
        md.Append("\nLatency is from when a request was due to its last byte, over every sent request; ")
            .Append("sent = ok + rejected + failed; rps counts succeeded requests.\n\n");

        md.Append("## Status codes\n\n");
        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult s in series.Stages)
            {
                md.Append("- ").Append(series.Name).Append(' ').Append(s.Label).Append(": ").Append(StageTable.Statuses(s));
                if (s.ClientDropped > 0)
                {
                    md.Append(", dropped by client: ").Append(s.ClientDropped);
                }

                if (s.Cancelled > 0)
                {
                    md.Append(", cancelled by Ctrl+C (in flight, not counted): ").Append(s.Cancelled);
                }

                md.Append('\n');
            }
        }

        if (charts.Count > 0)
        {
            md.Append("\n## Charts\n\n");
            foreach (ChartFile chart in charts)
            {
                md.Append("![").Append(chart.Title).Append("](charts/").Append(chart.FileName).Append(")\n\n");
            }
        }

        return md.ToString();
    }

    public static void AppendTable(StringBuilder md, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(md);
        md.Append("| ").AppendJoin(" | ", columns).Append(" |\n|");
        for (int i = 0; i < columns.Count; i++)
        {
            md.Append("---|");
        }

        md.Append('\n');
        foreach (IReadOnlyList<string> row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }
    }
}
