using System.Diagnostics;
using System.Text;

namespace Sluice.Cli.Tests.Commands;

/// <summary>A child process's stdout and stderr lines, collected from its reader threads and read by the test.</summary>
internal sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();

    /// <summary>Starts the built CLI (<c>dotnet sluice.dll</c>) with <paramref name="args"/>, its output lines going to <paramref name="output"/>.</summary>
    public static Process StartSluice(ProcessOutput output, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

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
