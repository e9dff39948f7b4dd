using System.Numerics;

namespace Sluice.Bench.Histograms;

/// <summary>
/// A log-linear histogram of non-negative integer values (the bench records microseconds).
/// </summary>
/// <remarks>
/// <para>
/// Values below <c>2^precisionBits</c> each get their own bucket (exact). Every power-of-two range
/// <c>[2^m, 2^(m+1))</c> above that is cut into <c>2^precisionBits</c> equal-width buckets, so a bucket is never
/// wider than <c>2^-precisionBits</c> of its lower bound. Percentiles report the bucket midpoint clamped to the
/// exact recorded min/max, so their relative error is at most <c>2^-(precisionBits+1)</c> (0.39% at the default
/// 7 bits). Counts, min, max and the sum are exact, and two histograms of the same precision merge exactly.
/// </para>
/// <para>
/// This is the same layout as HdrHistogram's (Gil Tene); it is written here because HdrHistogram is not available
/// to this build. HdrHistogram's <c>LongHistogram</c> would replace it one for one.
/// </para>
/// <para>
/// Not thread-safe through <see cref="Record(long)"/>: each load worker owns one and they are merged at the end
/// (as Garnet's load generator does). <see cref="RecordConcurrent(long)"/> is the interlocked variant used only by
/// the coarse per-second timeline, which all workers share.
/// </para>
/// </remarks>
internal sealed class LogLinearHistogram
{
    /// <summary>Default precision: 128 linear buckets per power of two.</summary>
    public const int DefaultPrecisionBits = 7;

    /// <summary>Largest value tracked exactly by bucket; larger values are clamped into the last bucket (2^40 µs ≈ 12.7 days).</summary>
    public const int MaxValueBits = 40;

    private readonly long[] _counts;
    private readonly int _precisionBits;
    private readonly long _subBucketCount;
    private long _totalCount;
    private long _sum;
    private long _min = long.MaxValue;
    private long _max = long.MinValue;

    public LogLinearHistogram(int precisionBits = DefaultPrecisionBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precisionBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precisionBits, 16);
        _precisionBits = precisionBits;
        _subBucketCount = 1L << precisionBits;
        _counts = new long[BucketIndex((1L << MaxValueBits) - 1) + 1];
    }

    public int PrecisionBits => _precisionBits;

    public long TotalCount => _totalCount;

    /// <summary>Exact smallest recorded value, or 0 when empty.</summary>
    public long Min => _totalCount == 0 ? 0 : _min;

    /// <summary>Exact largest recorded value, or 0 when empty.</summary>
    public long Max => _totalCount == 0 ? 0 : _max;

    /// <summary>Exact sum of recorded values.</summary>
    public long Sum => _sum;

    public double Mean => _totalCount == 0 ? 0 : (double)_sum / _totalCount;

    /// <summary>Largest relative error of a reported percentile.</summary>
    public double MaxRelativeError => 1.0 / (1L << (_precisionBits + 1));

    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[BucketIndex(value)]++;
        _totalCount++;
        _sum += value;
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }
    }

    /// <summary>Records from several threads at once (interlocked); slower than <see cref="Record(long)"/>.</summary>
    public void RecordConcurrent(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        Interlocked.Increment(ref _counts[BucketIndex(value)]);
        Interlocked.Increment(ref _totalCount);
        Interlocked.Add(ref _sum, value);
        long seen = Volatile.Read(ref _min);
        while (value < seen)
        {
            long prior = Interlocked.CompareExchange(ref _min, value, seen);
            if (prior == seen)
            {
                break;
            }

            seen = prior;
        }

        seen = Volatile.Read(ref _max);
        while (value > seen)
        {
            long prior = Interlocked.CompareExchange(ref _max, value, seen);
            if (prior == seen)
            {
                break;
            }

            seen = prior;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> into this histogram (exact).</summary>
    public void Add(LogLinearHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._precisionBits != _precisionBits)
        {
            throw new ArgumentException("Histograms of different precision cannot be merged.", nameof(other));
        }

        if (other._totalCount == 0)
        {
            return;
        }

        long[] source = other._counts;
        for (int i = 0; i < source.Length; i++)
        {
            _counts[i] += source[i];
        }

        _totalCount += other._totalCount;
        _sum += other._sum;
        _min = Math.Min(_min, other._min);
        _max = Math.Max(_max, other._max);
    }

    public void Reset()
    {
        Array.Clear(_counts);
        _totalCount = 0;
        _sum = 0;
        _min = long.MaxValue;
        _max = long.MinValue;
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0..100) by nearest rank: the smallest recorded value with at
    /// least <c>ceil(p/100 · count)</c> values at or below it, within <see cref="MaxRelativeError"/>.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (_totalCount == 0)
        {
            return 0;
        }

        if (percentile >= 100)
        {
            return _max;
        }

        // In decimal: in double, 99.9 / 100 · 1000 is 999.0000000000001, whose ceiling made p99.9 of 1,000 values the
        // maximum (the 1,000th value, not the 999th).
        long rank = (long)Math.Ceiling((decimal)Math.Max(0, percentile) * _totalCount / 100m);
        if (rank < 1)
        {
            rank = 1;
        }

        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                long mid = BucketMidpoint(i);
                return Math.Clamp(mid, _min, _max);
            }
        }

        return _max;
    }

    /// <summary>Count of recorded values in the bucket that holds <paramref name="value"/>.</summary>
    public long CountAtValue(long value) => _counts[BucketIndex(Math.Max(0, value))];

    /// <summary>Lowest value that shares a bucket with <paramref name="value"/>.</summary>
    public long LowestEquivalentValue(long value) => BucketLowerBound(BucketIndex(Math.Max(0, value)));

    /// <summary>Width of the bucket that holds <paramref name="value"/>.</summary>
    public long BucketWidth(long value) => BucketWidthAt(BucketIndex(Math.Max(0, value)));

    private int BucketIndex(long value)
    {
        if (value < _subBucketCount)
        {
            return (int)value;
        }

        long max = (1L << MaxValueBits) - 1;
        if (value > max)
        {
            value = max;
        }

        int msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = msb - _precisionBits;
        long mantissa = value >> shift; // in [2^p, 2^(p+1))
        return (int)(_subBucketCount + ((long)shift * _subBucketCount) + (mantissa - _subBucketCount));
    }

    private long BucketLowerBound(int index)
    {
        if (index < _subBucketCount)
        {
            return index;
        }

        long rel = index - _subBucketCount;
        int shift = (int)(rel / _subBucketCount);
        long mantissa = _subBucketCount + (rel % _subBucketCount);
        return mantissa << shift;
    }

    private long BucketWidthAt(int index)
    {
        if (index < _subBucketCount)
        {
            return 1;
        }

        int shift = (int)((index - _subBucketCount) / _subBucketCount);
        return 1L << shift;
    }

    private long BucketMidpoint(int index) => BucketLowerBound(index) + ((BucketWidthAt(index) - 1) / 2);
}
