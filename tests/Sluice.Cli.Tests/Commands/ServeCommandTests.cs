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

    [Fact]
    public async Task Serve_CtrlCTwiceWhileARequestHoldsTheDrain_FirstSaysHowToSkipItSecondExitsAtOnceAndTheJobRunsAfterTheRestart()
    {
        // The host swallowed every Ctrl+C after the first: a request longer than the drain kept the terminal for the
        // whole 30 s ShutdownTimeout, and nothing said a second Ctrl+C would not help.
        var data = Directory.CreateTempSubdirectory("sluice-cli-sigint-").FullName;
        var port = FreePort();
        var output = new ProcessOutput();
        string[] Args(int sleepMs) =>
        [
            "serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", data,
            "--models", Path.Combine(data, "no-models"), "--Sluice:Models:essay-grader:Enabled=false",
            $"--Sluice:BuiltIns:SleepBatchBaseMs={sleepMs}", "--Logging:LogLevel:Default=Warning",
        ];
        var process = ProcessOutput.StartSluice(output, Args(60000));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(90) };
        try
        {
            await Poll.UntilAsync(() => IsReadyAsync(client, process), () => "server not ready: " + output.ToString());
            using var submitted = await client.PostAsync("/v1/jobs", new StringContent("{\"model\":\"sleep-batch\",\"input\":{\"i\":2},\"cache\":false}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            var id = System.Text.Json.JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            await Poll.UntilAsync(async () => (await client.GetStringAsync($"/v1/jobs/{id}")).Contains("\"status\":\"running\"", StringComparison.Ordinal), () => "the job never ran: " + output.ToString());

            // A minute-long synchronous inference holds the drain past the 30 s ShutdownTimeout.
            var infer = client.PostAsync("/v1/models/sleep-batch/infer", new StringContent("{\"input\":{\"i\":1}}", Encoding.UTF8, "application/json"));
            await Task.Delay(500);
            await SignalAsync(process, "INT");
            await Poll.UntilAsync(() => Task.FromResult(output.ToString().Contains("Press Ctrl+C again to stop at once", StringComparison.Ordinal)),
                () => "the first Ctrl+C said nothing about a second: " + output.ToString(), TimeSpan.FromSeconds(10));
            Assert.Contains("stopping gracefully, for up to 30 s", output.ToString(), StringComparison.Ordinal);
            Assert.False(process.HasExited, "the first Ctrl+C did not drain");

            var clock = Stopwatch.StartNew();
            await SignalAsync(process, "INT");
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the second Ctrl+C took {clock.Elapsed} to end the process: {output}");
            Assert.True(process.ExitCode == 130, $"exit code {process.ExitCode}: {output}");
            Assert.Contains("Ctrl+C again: stopping at once", output.ToString(), StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => infer);

            // Accepted work is not lost: the next start recovers the job and runs it.
            process.Dispose();
            process = ProcessOutput.StartSluice(output, Args(100));
            await Poll.UntilAsync(() => IsReadyAsync(client, process), () => "server not ready after the restart: " + output.ToString());
            await Poll.UntilAsync(async () => (await client.GetStringAsync($"/v1/jobs/{id}")).Contains("\"status\":\"succeeded\"", StringComparison.Ordinal),
                () => "the job did not run after the restart: " + output.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
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
