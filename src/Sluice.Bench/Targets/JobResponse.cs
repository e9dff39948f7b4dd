using System.Text.Json;

namespace Sluice.Bench.Targets;

/// <summary>The few fields of a Sluice job document the bench reads.</summary>
internal readonly record struct JobResponse(string? Id, string? Status, int BatchSize)
{
    /// <summary>Whether <see cref="Status"/> is terminal (every terminal status of docs/api.md: a job that exhausted its
    /// attempts ends <c>dead_lettered</c>, which left unknown was polled until the bench's deadline).</summary>
    public bool IsTerminal => Status is "succeeded" or "failed" or "cancelled" or "expired" or "dead_lettered";

    /// <summary>Reads <c>id</c>, <c>status</c> and <c>batch_size</c> from the top level of a job document.</summary>
    public static JobResponse Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        string? id = null, status = null;
        int batch = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A job document must be a JSON object.");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("batch_size"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int b))
                {
                    batch = b;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new JobResponse(id, status, batch);
    }
}
