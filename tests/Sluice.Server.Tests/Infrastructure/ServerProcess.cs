using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// The server as a separate OS process (the built Sluice.Server.dll), so tests can SIGKILL it and measure its
/// memory. Output is kept for failure messages.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="dataDir">The server's data folder.</param>
    /// <param name="settings">Settings passed as command-line arguments.</param>
    /// <param name="fileSizeLimitable">
    /// Started with SIGXFSZ ignored (through <c>sh</c>; an ignored signal stays ignored across exec), so that
    /// <see cref="LimitFileSizeAsync"/> makes its writes past the limit fail as on a full disk instead of killing it.
    /// </param>
    public static async Task<ServerProcess> StartAsync(string dataDir, IDictionary<string, string> settings, bool fileSizeLimitable = false)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Sluice.Server.dll");
        var psi = new ProcessStartInfo(fileSizeLimitable ? "sh" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileSizeLimitable)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("trap '' XFSZ; exec dotnet \"$@\"");
            psi.ArgumentList.Add("sh");
        }

        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        psi.ArgumentList.Add($"--Sluice:Storage:DataDir={dataDir}");
        psi.ArgumentList.Add($"--Sluice:Engine:ModelsPaths:0={TestServer.EmptyFolder}");
        psi.ArgumentList.Add("--Sluice:Models:essay-grader:Enabled=false");
        foreach (var (k, v) in settings)
        {
            psi.ArgumentList.Add($"--{k}={v}");
        }

        var process = Process.Start(psi)!;
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("server exited: " + server.Output);
            }

            try
            {
                using var r = await server.Client.GetAsync("/health/ready");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("server not ready: " + server.Output);
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Caps the size of any file the server writes (RLIMIT_FSIZE, set with <c>prlimit</c>; null lifts the cap): a write
    /// past it is cut short and SQLite answers SQLITE_FULL, as on a full disk. Needs <c>fileSizeLimitable</c>.
    /// </summary>
    public async Task LimitFileSizeAsync(long? bytes)
    {
        var limit = bytes is { } b ? b.ToString(CultureInfo.InvariantCulture) : "unlimited";
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit", ["--pid", _process.Id.ToString(CultureInfo.InvariantCulture), $"--fsize={limit}:unlimited"]) { RedirectStandardError = true })!;
        var error = await prlimit.StandardError.ReadToEndAsync();
        await prlimit.WaitForExitAsync();
        if (prlimit.ExitCode != 0)
        {
            throw new InvalidOperationException($"prlimit failed: {error}");
        }
    }

    /// <summary>SIGTERM, as a deploy or a scale-down sends: the server shuts down gracefully.</summary>
    public async Task TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Resident memory of the server process in bytes (VmRSS).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        return 0;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
