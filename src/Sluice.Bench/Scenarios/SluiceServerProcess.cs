using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// A real <c>sluice serve</c> on a free loopback port with a throwaway data folder, started for a scenario and
/// killed when disposed. Its output goes to a log file next to the results.
/// </summary>
internal sealed class SluiceServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly StreamWriter _log;

    private SluiceServerProcess(Process process, Uri baseUri, string dataDir, StreamWriter log, TimeSpan timeToReady)
    {
        _process = process;
        BaseUri = baseUri;
        _dataDir = dataDir;
        _log = log;
        TimeToReady = timeToReady;
    }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    /// <summary>From process start to the first 200 from <c>/health/ready</c>.</summary>
    public TimeSpan TimeToReady { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the server with extra configuration arguments (e.g. <c>--Sluice:Models:echo:MaxBatchSize=1</c>) and waits until ready.</summary>
    public static async Task<SluiceServerProcess> StartAsync(
        string sluiceDll,
        IReadOnlyList<string> configuration,
        string logPath,
        TimeSpan readyTimeout,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(sluiceDll))
        {
            throw new BenchConfigurationException($"{sluiceDll} does not exist: build the CLI first (./sluice --help builds it).");
        }

        int port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}");
        string dataDir = Path.Combine(Path.GetTempPath(), "sluice-bench-data", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(sluiceDll);
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
        start.ArgumentList.Add($"--Sluice:Storage:DataDir={dataDir}");
        foreach (string arg in configuration)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"$ dotnet {string.Join(' ', start.ArgumentList)}").ConfigureAwait(false);
        long t0 = Stopwatch.GetTimestamp();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = new Uri(baseUri, "/health/ready");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                await log.DisposeAsync().ConfigureAwait(false);
                throw new BenchConfigurationException($"sluice serve exited with code {process.ExitCode} before it was ready; see {logPath}.");
            }

            if (Stopwatch.GetElapsedTime(t0) > readyTimeout)
            {
                KillQuietly(process);
                await log.DisposeAsync().ConfigureAwait(false);
                throw new BenchConfigurationException($"sluice serve was not ready after {readyTimeout.TotalSeconds:0} s; see {logPath}.");
            }

            try
            {
                using HttpResponseMessage response = await client.GetAsync(ready, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return new SluiceServerProcess(process, baseUri, dataDir, log, Stopwatch.GetElapsedTime(t0));
    }

    public async ValueTask DisposeAsync()
    {
        KillQuietly(_process);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void WriteLog(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
