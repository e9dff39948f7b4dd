using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Core.Metrics;
using Sluice.Server.Admission;

namespace Sluice.Benchmarks.Server;

/// <summary>
/// Admission of one request with three API keys configured: the key check alone (SHA-256 of the presented key, compared
/// with every configured hash), the rate-limit decision alone (the in-memory token bucket), and the whole
/// <see cref="AdmissionFilter"/> (headers read, key checked, bucket taken, caller stored) in front of a no-op handler.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class AdmissionBenchmarks
{
    private const string Key = "sk-bench-2f6c1e0d9a8b7c6d5e4f3a2b1c0d9e8f";

    private ServiceProvider? _services;
    private ApiKeyAuthenticator? _auth;
    private InMemoryRateLimitStore? _limits;
    private AdmissionFilter? _filter;
    private DefaultHttpContext? _http;
    private EndpointFilterInvocationContext? _context;
    private Caller? _caller;
    private static readonly EndpointFilterDelegate Next = static _ => ValueTask.FromResult<object?>(null);

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new AuthOptions
        {
            Keys =
            [
                new ApiKeyOptions { Id = "alice", Key = "sk-bench-alice-0000000000000000000000", RequestsPerSecond = 1e9 },
                new ApiKeyOptions { Id = "bob", Key = "sk-bench-bob-00000000000000000000000000", RequestsPerSecond = 1e9 },
                new ApiKeyOptions { Id = "bench", Key = Key, RequestsPerSecond = 1e9 },
            ],
            StreamTokenSecret = "0123456789abcdef0123456789abcdef0123456789abcdef",
        });
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _auth = new ApiKeyAuthenticator(options);
        _limits = new InMemoryRateLimitStore(TimeProvider.System);
        var metrics = new SluiceMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _filter = new AdmissionFilter(_auth, new StreamTokens(_auth, options, TimeProvider.System), _limits, metrics);
        _http = new DefaultHttpContext();
        _http.Request.Headers.Authorization = "Bearer " + Key;
        _context = new DefaultEndpointFilterInvocationContext(_http);
        _auth.TryAuthenticate(Key, out _caller);
    }

    [Benchmark]
    public bool ApiKeyCheck() => _auth!.TryAuthenticate(Key, out _);

    [Benchmark]
    public bool RateLimitDecision()
    {
        var c = _caller!;
        return _limits!.TryAcquireAsync("rps:" + c.Id, c.RequestsPerSecond, c.Burst, 1, CancellationToken.None).Result.Allowed;
    }

    [Benchmark]
    public ValueTask<object?> AdmitRequest() => _filter!.InvokeAsync(_context!, Next);

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();
}
