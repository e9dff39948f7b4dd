using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Dev;

/// <summary>
/// <c>./sluice dev</c> (scripts/dev.sh) listens on fixed ports. When one is taken it must refuse with one line before
/// starting anything; it used to start a gateway that could not bind, wait a minute and report success (or, with
/// another server on the port, present that server as its gateway). <c>down</c> gives each process its graceful
/// shutdown time before SIGKILL and names one it had to kill. Each test uses its own SLUICE_DEV_DIR.
/// </summary>
public sealed class DevScriptTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-dev-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Up_GatewayPortTakenByAnotherProgram_FailsNamingThePortAndStartsNothing()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;

        var (code, stdout, stderr) = await RunAsync(port, "up", "1");

        Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"error: port {port} (gateway) is in use by another program", stderr);
        Assert.Contains("SLUICE_DEV_PORT", stderr);
        // Refused before the brokers and nodes: no RabbitMQ, PostgreSQL or pid file in the dev folder.
        Assert.False(Directory.Exists(Path.Combine(_dir, "rabbitmq")), stdout);
        Assert.False(Directory.Exists(Path.Combine(_dir, "postgres")), stdout);
        Assert.Empty(Directory.GetFiles(_dir, "*.pid"));
    }

    [Theory]
    [InlineData("two")]
    [InlineData("-1")]
    public async Task Up_WorkersNotAWholeNumber_IsAUsageErrorBeforeStartingAnything(string workers)
    {
        var (code, stdout, stderr) = await RunAsync(FreePort(), "up", workers);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"error: WORKERS must be a whole number from 0 to 99 (got '{workers}')", stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "rabbitmq")), stdout);
    }

    [Fact]
    public async Task Down_NodeTakingLongerThanFiveSecondsToStopGracefully_IsNotKilled()
    {
        // A worker handing back its in-flight jobs may take longer than the 5 s down used to give it before SIGKILL.
        var stopped = Path.Combine(_dir, "stopped-gracefully");
        var pid = StartFakeNode("worker1", $"trap 'sleep 7; touch {stopped}; exit 0' TERM");

        var (code, stdout, stderr) = await RunAsync(FreePort(), "down");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.True(File.Exists(stopped), $"worker1 was cut short:\n{stdout}\n{stderr}");
        Assert.DoesNotContain("SIGKILL", stderr, StringComparison.Ordinal);
        Assert.False(IsRunning(pid));
        Assert.False(File.Exists(Path.Combine(_dir, "worker1.pid")));
    }

    [Fact]
    public async Task Down_NodeStillRunningAfterTheTimeout_KilledAndNamed()
    {
        var pid = StartFakeNode("worker2", "trap '' TERM");

        var (code, stdout, stderr) = await RunAsync(FreePort(), "down", "--timeout", "1");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"worker2 (pid {pid}) did not stop within 1 s of SIGTERM; sent SIGKILL", stderr, StringComparison.Ordinal);
        Assert.False(IsRunning(pid));
        Assert.False(File.Exists(Path.Combine(_dir, "worker2.pid")));
    }

    [Fact]
    public async Task Down_PurgeWithTimeout_StopsTheNodesAndDeletesTheState()
    {
        var pid = StartFakeNode("worker1", "trap 'exit 0' TERM");

        var (code, stdout, stderr) = await RunAsync(FreePort(), "down", "--purge", "--timeout=5");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.False(IsRunning(pid));
        Assert.False(Directory.Exists(_dir), stdout);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("3601")]
    public async Task Down_TimeoutNotFrom1To3600Seconds_IsAUsageErrorAndStopsNothing(string timeout)
    {
        var pid = StartFakeNode("worker1", "trap 'exit 0' TERM");
        try
        {
            var (code, stdout, stderr) = await RunAsync(FreePort(), "down", "--timeout", timeout);

            Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains($"error: --timeout must be a whole number of seconds from 1 to 3600 (got '{timeout}')", stderr, StringComparison.Ordinal);
            Assert.True(IsRunning(pid));
        }
        finally
        {
            using var node = Process.GetProcessById(pid);
            node.Kill();
        }
    }

    /// <summary>
    /// A stand-in for a node that `up` started, with its pid file: a shell reacting to SIGTERM as <paramref name="trap"/>
    /// says. Started detached (through a shell that exits), so its exit is not held as this process's zombie.
    /// </summary>
    private int StartFakeNode(string name, string trap)
    {
        Directory.CreateDirectory(_dir);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        var ready = Path.Combine(_dir, name + ".ready");
        File.Delete(ready);
        psi.ArgumentList.Add($"nohup bash -c \"{trap}; touch '{ready}'; while :; do sleep 0.1; done\" >/dev/null 2>&1 & echo $!");
        using var p = Process.Start(psi)!;
        var pid = int.Parse(p.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        p.WaitForExit();
        File.WriteAllText(Path.Combine(_dir, name + ".pid"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The shell installs its trap before it writes the ready file; a SIGTERM before that would end it at once.
        var waited = Stopwatch.StartNew();
        while (!File.Exists(ready))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"the stand-in {name} did not start within 30 s");
            Thread.Sleep(20);
        }

        return pid;
    }

    private static bool IsRunning(int pid)
    {
        using var p = Process.Start(new ProcessStartInfo("kill", ["-0", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(int port, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(Brokers.RepoRoot, "scripts", "dev.sh"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["SLUICE_DEV_DIR"] = _dir;
        psi.Environment["SLUICE_DEV_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            // Generous: the refusal takes well under a second; a script that went on to build and start would not.
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Not created (the script refused before mkdir) or already gone.
        }
    }
}
