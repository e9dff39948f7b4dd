using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// Clients submitting jobs in a loop until stopped, as traffic keeps arriving during a fault: every 202 is a
/// promise the test later checks; 503s (with their latency) are what a client sees during an outage.
/// </summary>
public sealed class SubmitLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private readonly string _body;
    private int _disposed;

    public SubmitLoad(HttpClient client, string body, int clients, TimeSpan pause)
    {
        _body = body;
        _clients = new Task[clients];
        for (var i = 0; i < clients; i++)
        {
            _clients[i] = Task.Run(() => RunAsync(client, pause, _stop.Token));
        }
    }

    public ConcurrentQueue<(string Id, DateTime At)> Accepted { get; } = new();

    public ConcurrentQueue<TimeSpan> Unavailable { get; } = new();

    public ConcurrentQueue<string> Unexpected { get; } = new();

    public int AcceptedSince(DateTime t) => Accepted.Count(a => a.At >= t);

    private async Task RunAsync(HttpClient client, TimeSpan pause, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var sw = Stopwatch.StartNew();
            try
            {
                var (status, body) = await Cluster.PostJobAsync(client, _body);
                if (status == HttpStatusCode.Accepted)
                {
                    Accepted.Enqueue((body.GetProperty("id").GetString()!, DateTime.UtcNow));
                }
                else if (status == HttpStatusCode.ServiceUnavailable)
                {
                    Unavailable.Enqueue(sw.Elapsed);
                }
                else
                {
                    Unexpected.Enqueue($"{(int)status} {body}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Unexpected.Enqueue(ex.GetType().Name + ": " + ex.Message);
            }

            try
            {
                await Task.Delay(pause, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> submits were accepted after <paramref name="since"/>.</summary>
    public async Task WaitAcceptedSinceAsync(DateTime since, int count, TimeSpan timeout, Func<string> diagnostics)
    {
        var until = DateTime.UtcNow + timeout;
        while (AcceptedSince(since) < count)
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"only {AcceptedSince(since)} accepted since {since:O}: {diagnostics()}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
    }
}
