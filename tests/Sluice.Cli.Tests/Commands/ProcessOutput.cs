using System.Text;

namespace Sluice.Cli.Tests.Commands;

/// <summary>A child process's stdout and stderr lines, collected from its reader threads and read by the test.</summary>
internal sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();

    public void Append(string? line)
    {
        if (line is not null)
        {
            lock (_text)
            {
                _text.AppendLine(line);
            }
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}
