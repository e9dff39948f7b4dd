using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Hosting;

/// <summary>
/// Sluice.Server.dll is what the container image and <c>./sluice dev</c> run. A failed start must read like
/// <c>./sluice serve</c>'s: one <c>error:</c> line and exit code 1, not an unhandled exception (SIGABRT, exit 134)
/// with the stack trace logged twice.
/// </summary>
public sealed class SluiceServerHostTests
{
    [Fact]
    public async Task MainAsync_PortTakenByAnotherProgram_OneErrorLineAndExitCodeOne()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        var dataDir = Directory.CreateTempSubdirectory("sluice-host-").FullName;
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sluice.Server.dll"));
            psi.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
            psi.ArgumentList.Add($"--Sluice:Storage:DataDir={dataDir}");
            psi.ArgumentList.Add($"--Sluice:Engine:ModelsPaths:0={TestServer.EmptyFolder}");
            psi.ArgumentList.Add("--Sluice:Models:essay-grader:Enabled=false");
            psi.Environment.Remove("SLUICE_DEBUG");
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var output = await stdout + await stderr;

            Assert.True(p.ExitCode == 1, $"exit {p.ExitCode}\n{output}");
            Assert.Equal($"error: the server could not start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", (await stderr).Trim());
            Assert.DoesNotContain("Unhandled exception", output);
            Assert.DoesNotContain("   at ", output);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
