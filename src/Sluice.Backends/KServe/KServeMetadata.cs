using System.Text.Json;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;

namespace Sluice.Backends.KServe;

/// <summary>A model's metadata, <c>GET /v2/models/{name}</c>: its input and output tensors.</summary>
internal sealed record KServeMetadata(KServeTensorSpec[] Inputs, KServeTensorSpec[] Outputs)
{
    public static async Task<KServeMetadata> FetchAsync(UpstreamClient upstream, string model, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, upstream.Url($"v2/models/{Uri.EscapeDataString(model)}"));
        using var response = await upstream.SendAsync(message, idempotent: true, cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return new KServeMetadata(Specs(doc.RootElement, "inputs"), Specs(doc.RootElement, "outputs"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw UpstreamJson.Malformed(upstream, "the model metadata", ex);
        }
    }

    private static KServeTensorSpec[] Specs(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var specs = new List<KServeTensorSpec>();
        foreach (var t in list.EnumerateArray())
        {
            var shape = new List<long>();
            if (t.TryGetProperty("shape", out var s) && s.ValueKind == JsonValueKind.Array)
            {
                foreach (var d in s.EnumerateArray())
                {
                    shape.Add(d.GetInt64());
                }
            }

            specs.Add(new KServeTensorSpec(t.GetProperty("name").GetString()!, t.GetProperty("datatype").GetString()!, shape.ToArray()));
        }

        return specs.ToArray();
    }
}
