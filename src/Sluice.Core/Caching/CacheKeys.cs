using System.Security.Cryptography;
using System.Text.Json;

namespace Sluice.Core.Caching;

/// <summary>
/// Result-cache keys: SHA-256 of model, version and the input normalised (object keys sorted, insignificant
/// whitespace dropped, numbers kept as written), so equal requests written differently share a key.
/// </summary>
public static class CacheKeys
{
    /// <summary>
    /// The key of <paramref name="input"/> to <paramref name="model"/> at <paramref name="version"/>, of the caller
    /// <paramref name="owner"/> (null: shared by every caller, see <see cref="CacheOptions.Scope"/>).
    /// </summary>
    public static string For(string model, string version, JsonElement input, string? owner = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(model);
            writer.WriteStringValue(version);
            WriteNormalized(writer, input);
            if (owner is not null)
            {
                // A fourth element: no owner's key equals a shared one, and a shared key stays as it was before scopes.
                writer.WriteStringValue(owner);
            }

            writer.WriteEndArray();
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
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
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(endpoint);
            WriteNormalized(writer, body, nullIsAbsent);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>
    /// <see cref="BodyHash"/> as it was before it covered the endpoint: the normalised body alone. Idempotency keys
    /// stored then (kept 24 h) hold it, and <see cref="Scheduling.JobService"/> still accepts it for their retries.
    /// </summary>
    public static string LegacyBodyHash(JsonElement body, params ReadOnlySpan<string> nullIsAbsent)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteNormalized(writer, body, nullIsAbsent);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteNormalized(Utf8JsonWriter writer, JsonElement e, ReadOnlySpan<string> nullIsAbsent = default)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var props = new List<JsonProperty>();
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Null || !nullIsAbsent.Contains(p.Name))
                    {
                        props.Add(p);
                    }
                }

                props.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                writer.WriteStartObject();
                foreach (var p in props)
                {
                    writer.WritePropertyName(p.Name);
                    WriteNormalized(writer, p.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                {
                    WriteNormalized(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                e.WriteTo(writer);
                break;
        }
    }
}
