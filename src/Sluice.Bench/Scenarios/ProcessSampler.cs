using System.Diagnostics;
using System.Globalization;

namespace Sluice.Bench.Scenarios;

/// <summary>CPU time and resident memory of a process (Linux /proc), for utilisation and memory-per-stream figures.</summary>
internal sealed class ProcessSampler
{
    private readonly int _pid;
    private TimeSpan _lastCpu;
    private long _lastTimestamp;
    private readonly TimeProvider _time;

    public ProcessSampler(int pid, TimeProvider? time = null)
    {
        _pid = pid;
        _time = time ?? TimeProvider.System;
        Mark();
    }

    /// <summary>Starts a new CPU measurement window.</summary>
    public void Mark()
    {
        _lastCpu = CpuTime();
        _lastTimestamp = _time.GetTimestamp();
    }

    /// <summary>Average CPU use since <see cref="Mark"/>, as a fraction of the whole machine (1.0 = every core busy).</summary>
    public double CpuSinceMark()
    {
        TimeSpan cpu = CpuTime() - _lastCpu;
        double wall = _time.GetElapsedTime(_lastTimestamp).TotalSeconds;
        return wall <= 0 ? 0 : cpu.TotalSeconds / wall / Environment.ProcessorCount;
    }

    public TimeSpan CpuTime()
    {
        try
        {
            using var p = Process.GetProcessById(_pid);
            return p.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return TimeSpan.Zero;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Resident set size in bytes (VmRSS), or 0 when unknown.</summary>
    public long ResidentBytes() => StatusField("VmRSS:") * 1024;

    /// <summary>Operating-system threads of the process (Threads), or 0 when unknown.</summary>
    public int Threads() => (int)StatusField("Threads:");

    private long StatusField(string name)
    {
        string path = $"/proc/{_pid}/status";
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process ended between the check and the read.
        }

        return 0;
    }
}
