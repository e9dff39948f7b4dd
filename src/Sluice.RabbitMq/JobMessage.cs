using System.Buffers;
using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;

namespace Sluice.RabbitMq;

/// <summary>
/// The wire form of a queued job: a small JSON document (the input embedded as raw JSON) plus the id of the
/// last event of its stream when it was published, so the worker continues the stream's ids without a lookup.
/// </summary>
internal static class JobMessage
{
    public static byte[] Encode(QueuedJob job, int attempts, long lastEventId)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + job.InputJson.Length);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", job.Id);
            w.WriteString("model", job.Model);
            w.WriteNumber("priority", (int)job.Priority);
            w.WritePropertyName("input");
            w.WriteRawValue(job.InputJson, skipInputValidation: true);
            if (job.Deadline is { } d)
            {
                w.WriteNumber("deadline", d.ToUnixTimeMilliseconds());
            }

            w.WriteNumber("enqueued_at", job.EnqueuedAt.ToUnixTimeMilliseconds());
            w.WriteNumber("accepted_at", job.AcceptedAt.ToUnixTimeMilliseconds());
            w.WriteNumber("attempts", attempts);
            w.WriteNumber("max_attempts", job.MaxAttempts);
            w.WriteString("owner", job.Owner);
            if (job.TraceParent is not null)
            {
                w.WriteString("traceparent", job.TraceParent);
            }

            if (job.CacheKey is not null)
            {
                w.WriteString("cache_key", job.CacheKey);
            }

            if (job.FallbackAllowed)
            {
                w.WriteBoolean("fallback", true);
            }

            w.WriteNumber("last_event_id", lastEventId);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static (QueuedJob Job, long LastEventId) Decode(ReadOnlySpan<byte> body, object? delivery)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var r = doc.RootElement;
        var enqueuedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetProperty("enqueued_at").GetInt64());
        var job = new QueuedJob
        {
            Id = r.GetProperty("id").GetString()!,
            Model = r.GetProperty("model").GetString()!,
            Priority = (JobPriority)r.GetProperty("priority").GetInt32(),
            InputJson = r.GetProperty("input").GetRawText(),
            Deadline = r.TryGetProperty("deadline", out var d) ? DateTimeOffset.FromUnixTimeMilliseconds(d.GetInt64()) : null,
            EnqueuedAt = enqueuedAt,
            // A message an older Sluice published has no acceptance time: its enqueue time, which a broker's retry keeps, stands in.
            AcceptedAt = r.TryGetProperty("accepted_at", out var at) ? DateTimeOffset.FromUnixTimeMilliseconds(at.GetInt64()) : enqueuedAt,
            Attempts = r.GetProperty("attempts").GetInt32(),
            MaxAttempts = r.GetProperty("max_attempts").GetInt32(),
            Owner = r.GetProperty("owner").GetString()!,
            TraceParent = r.TryGetProperty("traceparent", out var tp) ? tp.GetString() : null,
            CacheKey = r.TryGetProperty("cache_key", out var ck) ? ck.GetString() : null,
            FallbackAllowed = r.TryGetProperty("fallback", out var fb) && fb.ValueKind == JsonValueKind.True,
            Delivery = delivery,
        };
        return (job, r.GetProperty("last_event_id").GetInt64());
    }

    /// <summary>A copy of the job for another delivery (new attempt count, no transport state).</summary>
    public static QueuedJob Copy(QueuedJob j, int attempts) => j.With(attempts, replaceDelivery: true);
}
