namespace Sluice.Core.Scheduling;

/// <summary>
/// Fits <c>duration = a + b·n</c> by least squares over the most recent batches (as BentoML's CorkDispatcher does),
/// so the batcher can predict how long a batch of n items will take and shed work that cannot meet its deadline.
/// Thread-safe; observations are cheap, the fit is recomputed lazily.
/// </summary>
internal sealed class LatencyModel
{
    private readonly (int N, double Ms)[] _window;
    private readonly Lock _lock = new();
    private int _count;
    private int _next;
    private double _a;
    private double _b;
    private bool _dirty;

    public LatencyModel(int window = 50) => _window = new (int, double)[window];

    /// <summary>Batches observed (capped at the window size).</summary>
    public int Samples
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Observe(int batchSize, double milliseconds)
    {
        lock (_lock)
        {
            _window[_next] = (batchSize, milliseconds);
            _next = (_next + 1) % _window.Length;
            _count = Math.Min(_count + 1, _window.Length);
            _dirty = true;
        }
    }

    /// <summary>Predicted milliseconds for a batch of <paramref name="batchSize"/>; 0 before any observation.</summary>
    public double PredictMs(int batchSize)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return 0;
            }

            if (_dirty)
            {
                Fit();
            }

            return Math.Max(0, _a + (_b * batchSize));
        }
    }

    /// <summary>Fixed cost a and per-item cost b of the current fit.</summary>
    public (double FixedMs, double PerItemMs) Coefficients
    {
        get
        {
            lock (_lock)
            {
                if (_dirty && _count > 0)
                {
                    Fit();
                }

                return (_a, _b);
            }
        }
    }

    private void Fit()
    {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (var i = 0; i < _count; i++)
        {
            var (n, ms) = _window[i];
            sx += n;
            sy += ms;
            sxx += (double)n * n;
            sxy += n * ms;
        }

        var denom = (_count * sxx) - (sx * sx);
        if (_count < 2 || Math.Abs(denom) < 1e-9)
        {
            // All batches had the same size: attribute the cost proportionally.
            _a = 0;
            _b = sx > 0 ? sy / sx : 0;
        }
        else
        {
            _b = ((_count * sxy) - (sx * sy)) / denom;
            _a = (sy - (_b * sx)) / _count;
            if (_b < 0)
            {
                _b = 0;
                _a = sy / _count;
            }

            if (_a < 0)
            {
                _a = 0;
                _b = sxy / sxx;
            }
        }

        _dirty = false;
    }
}
