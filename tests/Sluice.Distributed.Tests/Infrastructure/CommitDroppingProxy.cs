using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// A TCP proxy in front of PostgreSQL that, while <see cref="Armed"/>, forwards the COMMIT of a transaction that inserted
/// into <c>jobs</c> and then cuts the connection instead of passing PostgreSQL's answer back: the create commits, and its
/// client only sees the connection break (a partition or a server lost right after COMMIT was sent). Needs plain TCP
/// (the test server has no TLS) and the SQL text on the wire (the store does not auto-prepare).
/// </summary>
internal sealed class CommitDroppingProxy : IAsyncDisposable
{
    // A simple-protocol Query message, as Npgsql sends a transaction's COMMIT: 'Q', length 11, "COMMIT\0".
    private static readonly byte[] Commit = [(byte)'Q', 0, 0, 0, 11, .. "COMMIT\0"u8];
    private static readonly byte[] InsertJob = Encoding.ASCII.GetBytes("INSERT INTO jobs (");

    private const int Inserted = 1;
    private const int CommitSent = 2;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _armed;
    private int _dropped;

    private CommitDroppingProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Whether a job create's COMMIT now loses its answer.</summary>
    public bool Armed { get => _armed; set => _armed = value; }

    /// <summary>How many commits were forwarded and their answers dropped.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    public static CommitDroppingProxy Start(int targetPort) => new(targetPort);

    /// <summary>The store URL that goes through this proxy instead of to <paramref name="storeUrl"/>'s port.</summary>
    public string Via(string storeUrl) => new UriBuilder(storeUrl) { Port = Port }.Uri.ToString();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = PipeAsync(client);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                // This connection's progress through a create's transaction: 0 none, Inserted, then CommitSent.
                var connection = new StrongBox<int>();
                var up = UpAsync(client.GetStream(), server.GetStream(), connection);
                var down = DownAsync(server.GetStream(), client.GetStream(), connection);
                await Task.WhenAny(up, down);
            }
            catch (Exception)
            {
                // Either side gone: both are closed below.
            }
        }
    }

    private async Task UpAsync(NetworkStream from, NetworkStream to, StrongBox<int> connection)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            var chunk = buffer.AsSpan(0, n);
            if (_armed && chunk.IndexOf(InsertJob) >= 0)
            {
                Volatile.Write(ref connection.Value, Inserted);
            }

            if (Volatile.Read(ref connection.Value) == Inserted && _armed && chunk.IndexOf(Commit) >= 0)
            {
                // Set before PostgreSQL can see the COMMIT, so its answer cannot get past DownAsync.
                Volatile.Write(ref connection.Value, CommitSent);
            }

            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    private async Task DownAsync(NetworkStream from, NetworkStream to, StrongBox<int> connection)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (Volatile.Read(ref connection.Value) == CommitSent)
            {
                // PostgreSQL answered the COMMIT (so it committed); the client never hears of it.
                Interlocked.Increment(ref _dropped);
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
