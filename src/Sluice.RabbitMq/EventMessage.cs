using System.Buffers;
using System.Text.Json;
using Sluice.Core.Jobs;

namespace Sluice.RabbitMq;

/// <summary>The wire form of a job event on the events exchange (the payload embedded as raw JSON).</summary>
internal static class EventMessage
{
    public static byte[] Encode(JobEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(96 + e.DataJson.Length);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("job", e.JobId);
            w.WriteNumber("id", e.Id);
            w.WriteString("type", e.Type);
            w.WritePropertyName("data");
            w.WriteRawValue(e.DataJson, skipInputValidation: true);
            w.WriteNumber("at", e.At.ToUnixTimeMilliseconds());
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static JobEvent Decode(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var r = doc.RootElement;
        return new JobEvent(
            r.GetProperty("job").GetString()!,
            r.GetProperty("id").GetInt64(),
            r.GetProperty("type").GetString()!,
            r.GetProperty("data").GetRawText(),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetProperty("at").GetInt64()));
    }
}
