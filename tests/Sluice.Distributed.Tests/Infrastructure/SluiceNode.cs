using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// One Sluice server process (the built Sluice.Server.dll) in a role, so tests can SIGKILL it, restart it on the
/// same port, and run several gateways and workers side by side as separate OS processes.
/// </summary>
public sealed class SluiceNode : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private SluiceNode(string role, int port, IReadOnlyDictionary<string, string> settings)
    {
        Role = role;
        Port = port;
        _settings = settings;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Role { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The exit code of the process that last ran, once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

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

    public static async Task<SluiceNode> StartAsync(string role, IReadOnlyDictionary<string, string> settings)
    {
        var node = new SluiceNode(role, FreePort(), settings);
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts (or starts again, on the same port) and waits for /health/ready.</summary>
    public async Task StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Sluice.Server.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{Port}");
        psi.ArgumentList.Add($"--Sluice:Role={Role}");
        foreach (var (k, v) in _settings)
        {
            psi.ArgumentList.Add($"--{k}={v}");
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Role} exited: {Output}");
            }

            try
            {
                using var r = await Client.GetAsync("/health/ready");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Role} not ready: {Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as a rolling deploy or a scale-down sends: the process stops gracefully.</summary>
    public async Task TerminateAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 400_000)
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
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
    }
}
