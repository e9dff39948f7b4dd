using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Dev;

/// <summary>
/// <c>./sluice dev</c> (scripts/dev.sh) listens on fixed ports. When one is taken it must refuse with one line before
/// starting anything; it used to start a gateway that could not bind, wait a minute and report success (or, with
/// another server on the port, present that server as its gateway). Each test uses its own SLUICE_DEV_DIR.
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
