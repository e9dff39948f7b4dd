using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Sluice.Core.Caching;

/// <summary>
/// Result-cache keys: SHA-256 of model, version and the input in canonical form (object keys sorted, insignificant
/// whitespace dropped, members that are <c>null</c> dropped, numbers in one spelling per value), so equal requests
/// written differently share a key. Idempotency hashes (<see cref="BodyHash"/>) keep numbers as written: the
/// hashes already stored must still match their retries.
/// </summary>
public static class CacheKeys
{
    private const int InitialBytes = 4096;

    /// <summary>A buffer grown past this by one large body is dropped rather than kept by its thread.</summary>
    private const int MaxKeptBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The key of <paramref name="input"/> to <paramref name="model"/> at <paramref name="version"/>, of the caller
    /// <paramref name="owner"/> (null: shared by every caller, see <see cref="CacheOptions.Scope"/>).
    /// </summary>
    public static string For(string model, string version, JsonElement input, string? owner = null)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartArray();
        writer.WriteStringValue(model);
        writer.WriteStringValue(version);
        // Null is absent for every field of every cacheable model's input (docs/api.md), or refused before a key is made.
        WriteNormalized(writer, input, canonical: true);
        if (owner is not null)
        {
            // A fourth element: no owner's key equals a shared one, and a shared key stays as it was before scopes.
            writer.WriteStringValue(owner);
        }

        writer.WriteEndArray();
        return HashAndReturn(writer, buffer);
    }

    /// <summary>
    /// Hash of a request to <paramref name="endpoint"/> (e.g. <c>POST /v1/jobs</c>) and its body (normalised the same
    /// way), for idempotency-key checks. The endpoint counts, so a key reused on another endpoint is a mismatch however
    /// alike the bodies, never a replay of a job the other endpoint created (and would answer in its own shape). The
    /// top-level fields named in <paramref name="nullIsAbsent"/> are left out when null, since the API reads such a null
    /// as the field left out: a retry that spells an unset field either way is the same request.
    /// </summary>
    public static string BodyHash(string endpoint, JsonElement body, params ReadOnlySpan<string> nullIsAbsent)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartArray();
        writer.WriteStringValue(endpoint);
        WriteNormalized(writer, body, nullIsAbsent);
        writer.WriteEndArray();
        return HashAndReturn(writer, buffer);
    }

    /// <summary>
    /// <see cref="BodyHash"/> as it was before it covered the endpoint: the normalised body alone. Idempotency keys
    /// stored then (kept 24 h) hold it, and <see cref="Scheduling.JobService"/> still accepts it for their retries.
    /// </summary>
    public static string LegacyBodyHash(JsonElement body, params ReadOnlySpan<string> nullIsAbsent)
    {
        var writer = RentWriter(out var buffer);
        WriteNormalized(writer, body, nullIsAbsent);
        return HashAndReturn(writer, buffer);
    }

    /// <summary>
    /// This thread's writer and buffer, reset. Every key used to cost a new writer and buffer, and the writer's first
    /// request for room past 256 bytes grew the buffer to 4 KB or more. Not reentrant; nothing here is.
    /// </summary>
    private static Utf8JsonWriter RentWriter(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_buffer ?? new ArrayBufferWriter<byte>(InitialBytes);
        var writer = t_writer ?? new Utf8JsonWriter(buffer);
        t_buffer = null;
        t_writer = null;
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>SHA-256 of what <paramref name="writer"/> wrote, as lower-case hex; the pair is kept for this thread unless its buffer grew large.</summary>
    private static string HashAndReturn(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        writer.Flush();
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        if (buffer.Capacity <= MaxKeptBytes)
        {
            buffer.ResetWrittenCount();
            t_buffer = buffer;
            t_writer = writer;
        }

        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// <paramref name="e"/> compact with sorted keys; <paramref name="canonical"/> also drops null members at every
    /// depth (null array items keep their place) and writes numbers by <see cref="CanonicalNumber"/>.
    /// </summary>
    private static void WriteNormalized(Utf8JsonWriter writer, JsonElement e, ReadOnlySpan<string> nullIsAbsent = default, bool canonical = false)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                // Each name read once: JsonProperty.Name makes a new string per call, and the sort asked for two per comparison.
                var props = ArrayPool<KeyValuePair<string, JsonElement>>.Shared.Rent(e.GetPropertyCount());
                var n = 0;
                try
                {
                    foreach (var p in e.EnumerateObject())
                    {
                        if (p.Value.ValueKind != JsonValueKind.Null || (!canonical && !nullIsAbsent.Contains(p.Name)))
                        {
                            props[n++] = new(p.Name, p.Value);
                        }
                    }

                    props.AsSpan(0, n).Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                    writer.WriteStartObject();
                    for (var i = 0; i < n; i++)
                    {
                        writer.WritePropertyName(props[i].Key);
                        WriteNormalized(writer, props[i].Value, canonical: canonical);
                    }

                    writer.WriteEndObject();
                }
                finally
                {
                    // Cleared: the elements hold their documents.
                    ArrayPool<KeyValuePair<string, JsonElement>>.Shared.Return(props, clearArray: true);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                {
                    WriteNormalized(writer, item, canonical: canonical);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Number when canonical:
                CanonicalNumber.Write(writer, e);
                break;
            default:
                e.WriteTo(writer);
                break;
        }
    }
}
