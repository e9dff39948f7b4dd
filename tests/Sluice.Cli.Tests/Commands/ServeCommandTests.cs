using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Testing.Server;

namespace Sluice.Cli.Tests.Commands;

/// <summary><c>./sluice serve</c> as an operating-system process (the built sluice.dll), stopped with a real signal.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_SigtermWithARequestInFlight_DrainsItAndExitsZero()
    {
        // System.CommandLine ends an invocation two seconds after SIGTERM; the serve command returned then, so the
        // process exited mid-drain: the request in flight lost its answer and running jobs were never handed back.
        var data = Directory.CreateTempSubdirectory("sluice-cli-sigterm-").FullName;
        var port = FreePort();
        var output = new ProcessOutput();
        using var process = ProcessOutput.StartSluice(output,
            "serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", data,
            "--models", Path.Combine(data, "no-models"), "--Sluice:Models:essay-grader:Enabled=false",
            "--Sluice:BuiltIns:SleepBatchBaseMs=5000", "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            await Poll.UntilAsync(() => IsReadyAsync(client, process), () => "server not ready: " + output.ToString());

            // A synchronous inference of five seconds, then the stop once the server has the request.
            var infer = client.PostAsync("/v1/models/sleep-batch/infer", new StringContent("{\"input\":{\"i\":1}}", Encoding.UTF8, "application/json"));
            await Poll.UntilAsync(() => Task.FromResult(output.ToString().Contains("/v1/models/sleep-batch/infer", StringComparison.Ordinal)), () => "the request never arrived: " + output.ToString());
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var answer = await infer;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("\"input\":{\"i\":1}", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {output.ToString()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient client, Process process)
    {
        Assert.False(process.HasExited, "the server exited");
        try
        {
            using var r = await client.GetAsync("/health/ready");
            return r.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
