using Sluice.Bench.Load;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Scenarios;

/// <summary>A target that serves one request at a time (a single model instance), each taking a fixed time.</summary>
internal sealed class SlotTarget : ILoadTarget
{
    private readonly SemaphoreSlim _slot = new(1);
    private readonly TimeSpan _service;

    public SlotTarget(TimeSpan service) => _service = service;

    public string Description => "one slot";

    public async ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken)
    {
        await _slot.WaitAsync(cancellationToken);
        try
        {
            await Task.Delay(_service, cancellationToken);
            return new RequestOutcome(OutcomeKind.Succeeded, 200);
        }
        finally
        {
            _slot.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _slot.Dispose();
        return ValueTask.CompletedTask;
    }
}
