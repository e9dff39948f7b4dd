using Sluice.Bench.Load;
using Spectre.Console;

namespace Sluice.Bench.Reporting;

/// <summary>The end-of-run tables in the terminal.</summary>
internal static class ConsoleReport
{
    public static void Write(IAnsiConsole console, BenchRun run)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(run);
        foreach (SummaryTable summary in run.Summaries)
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(summary.Title)), Border = TableBorder.Rounded };
            foreach (string c in summary.Columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(c)));
            }

            foreach (IReadOnlyList<string> row in summary.Rows)
            {
                var cells = new string[row.Count];
                for (int i = 0; i < row.Count; i++)
                {
                    cells[i] = Markup.Escape(row[i]);
                }

                table.AddRow(cells);
            }

            console.Write(table);
        }

        var stages = new Table { Title = new TableTitle(Markup.Escape(run.Name + " (latency in ms)")), Border = TableBorder.Simple };
        for (int i = 0; i < StageTable.CompactColumns.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(StageTable.CompactColumns[i])).NoWrap();
            if (i >= 2)
            {
                column.RightAligned();
            }

            stages.AddColumn(column);
        }

        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult s in series.Stages)
            {
                string[] row = StageTable.CompactRow(series.Name, s);
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = Markup.Escape(row[i]);
                }

                stages.AddRow(row);
            }
        }

        console.Write(stages);
        foreach (string note in run.Notes)
        {
            console.MarkupLine("[grey]" + Markup.Escape(note) + "[/]");
        }
    }
}
