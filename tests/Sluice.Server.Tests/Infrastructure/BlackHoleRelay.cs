using System.Net;
using System.Net.Sockets;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a server that can turn into a black hole: after <see cref="Vanish"/> it keeps
/// every connection open but forwards nothing either way, as a dropped network path does. Below TCP the relay still
/// acknowledges, so this is a vanished peer as an application protocol sees it (HTTP/2 pings that go unanswered).
/// </summary>
internal sealed class BlackHoleRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private volatile bool _vanished;

    public BlackHoleRelay(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>From now on nothing passes in either direction; what arrives is read and dropped.</summary>
    public void Vanish() => _vanished = true;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(_target, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(upstream);
                    _pumps.Add(PumpAsync(client, upstream));
                    _pumps.Add(PumpAsync(upstream, client));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    if (!_vanished)
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }

                    return;
                }

                if (!_vanished)
                {
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await _accepting;
        Task[] pumps;
        lock (_sockets)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
