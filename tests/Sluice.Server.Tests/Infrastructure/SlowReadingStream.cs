using System.Diagnostics;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A client that reads on, but slowly: at most <c>bytesPerSecond</c> from the wrapped stream, a slice every quarter
/// second (a phone on a poor link, a browser tab under load). Writes pass straight through, so a WebSocket over it
/// answers each ping as soon as its reads reach it.
/// </summary>
internal sealed class SlowReadingStream(Stream inner, int bytesPerSecond) : Stream
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(250);
    private long _nextRead = Stopwatch.GetTimestamp();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }

        // The pace of the reader, not a wait for something to happen.
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _nextRead);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        var n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, (int)(bytesPerSecond * Slice.TotalSeconds))], cancellationToken);
        _nextRead = Stopwatch.GetTimestamp() + (long)(Slice.TotalSeconds * n / (bytesPerSecond * Slice.TotalSeconds) * Stopwatch.Frequency);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
