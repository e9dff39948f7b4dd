using System.Text;

namespace Sluice.Bench.Targets;

/// <summary>Reads a text/event-stream one event at a time (<c>event:</c>, <c>id:</c>, <c>data:</c> lines; blank line ends an event).</summary>
internal sealed class SseReader : IDisposable
{
    private readonly StreamReader _reader;
    private readonly StringBuilder _data = new();

    public SseReader(Stream stream)
    {
        _reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096);
    }

    /// <summary>Name of the last event read ("message" when the stream gave none).</summary>
    public string EventName { get; private set; } = "message";

    /// <summary>Data of the last event read (lines joined with \n).</summary>
    public string Data { get; private set; } = string.Empty;

    /// <summary>Id of the last event read, or null.</summary>
    public string? Id { get; private set; }

    /// <summary>Reads the next event; false at the end of the stream.</summary>
    public async ValueTask<bool> ReadNextAsync(CancellationToken cancellationToken)
    {
        string? name = null;
        bool any = false;
        _data.Clear();
        while (true)
        {
            string? line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                if (!any)
                {
                    return false;
                }

                break;
            }

            if (line.Length == 0)
            {
                if (any)
                {
                    break;
                }

                continue;
            }

            if (line[0] == ':')
            {
                continue; // comment / keep-alive
            }

            any = true;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            ReadOnlySpan<char> field = colon < 0 ? line : line.AsSpan(0, colon);
            ReadOnlySpan<char> value = colon < 0 ? [] : line.AsSpan(colon + 1);
            if (value.Length > 0 && value[0] == ' ')
            {
                value = value[1..];
            }

            if (field.SequenceEqual("data"))
            {
                if (_data.Length > 0)
                {
                    _data.Append('\n');
                }

                _data.Append(value);
            }
            else if (field.SequenceEqual("event"))
            {
                name = value.ToString();
            }
            else if (field.SequenceEqual("id"))
            {
                Id = value.ToString();
            }
        }

        EventName = name ?? "message";
        Data = _data.ToString();
        return true;
    }

    public void Dispose() => _reader.Dispose();
}
