using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Metrics;
using Sluice.Testing;

namespace Sluice.Core.Tests.Metrics;

public sealed class TokenTimerTests : IDisposable
{
    private static readonly KeyValuePair<string, object?> ModelTag = new("model", "m");

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SluiceMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly List<double> _gaps = [];
    private readonly ManualTimeProvider _time = new();

    public TokenTimerTests()
    {
        _metrics = new SluiceMetrics(_services.GetRequiredService<IMeterFactory>());
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, _metrics.TimePerOutputToken))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) => _gaps.Add(value));
        _listener.Start();
    }

    [Fact]
    public void Record_FirstStep_ReturnsTrueRecordsNoGap()
    {
        var timer = default(TokenTimer);
        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.True(timer.Record(_time.GetTimestamp(), _metrics, _time, ModelTag));

        Assert.Empty(_gaps);
        Assert.True(timer.HasTokens);
        Assert.Equal(_time.GetTimestamp(), timer.LastTokenTimestamp);
    }

    [Fact]
    public void Record_LaterSteps_RecordGapSinceThePreviousStep()
    {
        var timer = default(TokenTimer);
        timer.Record(_time.GetTimestamp(), _metrics, _time, ModelTag);

        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.False(timer.Record(_time.GetTimestamp(), _metrics, _time, ModelTag));
        _time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.False(timer.Record(_time.GetTimestamp(), _metrics, _time, ModelTag));

        Assert.Equal(2, _gaps.Count);
        Assert.Equal(0.25, _gaps[0], 6);
        Assert.Equal(0.04, _gaps[1], 6);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }
}
