using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Core.Metrics;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// The dynamic batcher's whole cycle with the zero-cost <c>echo</c> model: <see cref="JobService.SubmitAsync"/> (model
/// validation, job record, <c>queued</c> event, in-process queue), the batcher taking the batch, the lifecycle
/// starting and completing each job, and a subscriber following each job's events to the terminal one. The store
/// answers at once (<see cref="NullJobStore"/>) and <c>max_queue_delay</c> is 0, so what is measured is the
/// in-process pipeline (with the Prometheus exporter listening, as in the server), not fsyncs or the cork. Per operation: <see cref="Jobs"/> jobs submitted together.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class BatcherCycleBenchmarks
{
    private ServiceProvider? _services;
    private JobService? _jobs;
    private ModelHost? _host;
    private SubmitRequest? _request;
    private readonly CancellationTokenSource _stop = new();

    [Params(1, 32)]
    public int Jobs { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Models:echo:MaxQueueDelayMs"] = "0",
            ["Sluice:Models:echo:MaxBatchSize"] = "32",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IJobStore, NullJobStore>();
        services.AddSluiceCore();
        _services = services.BuildServiceProvider();
        _jobs = _services.GetRequiredService<JobService>();
        // As in the server, where /metrics has it listening: every job's measurements then reach its series.
        _services.GetRequiredService<PrometheusExporter>();
        _host = _services.GetRequiredService<ModelHost>();
        _host.StartAsync(_stop.Token).GetAwaiter().GetResult();
        while (!_jobs.Registry.TryGet("echo", out var echo) || echo.State != Sluice.Core.Models.ModelState.Ready)
        {
            Thread.Sleep(10);
        }

        using var input = JsonDocument.Parse("""{"text":"the quick brown fox jumps over the lazy dog","n":3}""");
        _request = new SubmitRequest { Model = "echo", Input = input.RootElement.Clone(), Owner = "anonymous", UseCache = false };
        Cycle().GetAwaiter().GetResult();
    }

    [Benchmark]
    public Task Cycle() => RunAsync(Jobs);

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _host?.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _services?.Dispose();
    }

    private async Task RunAsync(int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            var outcome = await _jobs!.SubmitAsync(_request!, CancellationToken.None).ConfigureAwait(false);
            if (outcome.Status != SubmitStatus.Accepted)
            {
                throw new InvalidOperationException($"submit was {outcome.Status}");
            }

            ids[i] = outcome.Job!.Id;
        }

        for (var i = 0; i < count; i++)
        {
            if (_jobs!.Events.TrySubscribe(ids[i], 0, out var sub))
            {
                using (sub)
                {
                    while (await sub.Reader.WaitToReadAsync().ConfigureAwait(false))
                    {
                        while (sub.Reader.TryRead(out _))
                        {
                        }
                    }
                }
            }

            // The hub keeps a finished stream for a minute; millions of them would measure the GC instead.
            _jobs.Events.Forget(ids[i]);
        }
    }
}
