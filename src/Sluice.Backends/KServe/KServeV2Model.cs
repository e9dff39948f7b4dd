using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Backends.Health;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;
using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Backends.KServe;

/// <summary>
/// A one-shot model on a KServe v2 / Triton server (<c>POST /v2/models/{name}/infer</c>), scheduled by the dynamic
/// batcher. When the model takes a leading batch dimension (its metadata says <c>-1</c>, or configuration says so),
/// the items of a Sluice batch whose shapes agree are stacked into one upstream call and the outputs split back
/// per item; otherwise each item is its own call, in parallel up to the backend's concurrency limit. Inference is
/// idempotent, so any transient failure is retried with backoff. Readiness: <c>GET /v2/models/{name}/ready</c>.
/// </summary>
internal sealed class KServeV2Model : IBatchModel, IBackendModel
{
    private readonly UpstreamClient _upstream;
    private readonly string _upstreamModel;
    private readonly bool? _configuredBatchDimension;
    private volatile KServeMetadata? _metadata;

    public KServeV2Model(ModelDescriptor descriptor, UpstreamClient upstream, string upstreamModel, bool? batchDimension)
    {
        Descriptor = descriptor;
        _upstream = upstream;
        _upstreamModel = upstreamModel;
        _configuredBatchDimension = batchDimension;
    }

    public ModelDescriptor Descriptor { get; }

    public BackendHealth Health => _upstream.Health;

    public UpstreamClient Upstream => _upstream;

    /// <summary>Whether items are stacked along a leading batch dimension.</summary>
    public bool BatchDimension => _configuredBatchDimension ?? _metadata is { } m && m.Inputs.Length > 0 && Array.TrueForAll(m.Inputs, i => i.Shape.Length > 0 && i.Shape[0] == -1);

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out object? parsed, out InputError error)
    {
        var ok = KServeInputParser.TryParse(input, _metadata, BatchDimension, out var item, out error);
        parsed = item;
        return ok;
    }

    public async ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        // Metadata and readiness are best effort at start: an upstream that is down makes the model unhealthy, not failed.
        await BackendProbe.RunAsync(_upstream, ProbeAsync, cancellationToken).ConfigureAwait(false);
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        using (var message = new HttpRequestMessage(HttpMethod.Get, _upstream.Url($"v2/models/{Uri.EscapeDataString(_upstreamModel)}/ready")))
        using (await _upstream.SendAsync(message, idempotent: true, cancellationToken).ConfigureAwait(false))
        {
        }

        _metadata ??= await KServeMetadata.FetchAsync(_upstream, _upstreamModel, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask InferAsync(IInferenceBatch batch, CancellationToken cancellationToken)
    {
        var groups = new List<List<int>>();
        var batched = BatchDimension;
        var max = Math.Max(1, _upstream.Options.MaxBatchSize);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch.GetCancellation(i).IsCancellationRequested)
            {
                continue;
            }

            var item = (KServeItem)batch.GetInput(i);
            List<int>? group = null;
            if (batched)
            {
                foreach (var g in groups)
                {
                    if (g.Count < max && ((KServeItem)batch.GetInput(g[0])).Compatible(item))
                    {
                        group = g;
                        break;
                    }
                }
            }

            if (group is null)
            {
                group = [];
                groups.Add(group);
            }

            group.Add(i);
        }

        var calls = new Task[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            calls[g] = CallAsync(batch, groups[g], batched, cancellationToken);
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    public void Dispose()
    {
    }

    private async Task CallAsync(IInferenceBatch batch, List<int> indices, bool batched, CancellationToken cancellationToken)
    {
        var items = new KServeItem[indices.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = (KServeItem)batch.GetInput(indices[i]);
        }

        try
        {
            using var doc = await _upstream.ExecuteAsync(static (s, ct) => s.Self.AttemptAsync(s.Items, s.Batched, ct), (Self: this, Items: items, Batched: batched), cancellationToken).ConfigureAwait(false);
            Split(doc.RootElement, batch, indices, batched);
        }
        catch (UpstreamException ex)
        {
            // A request the upstream refused as invalid will be refused again: no retry for those items.
            for (var i = 0; i < indices.Count; i++)
            {
                // An open circuit (or the upstream's Retry-After) says when trying again can help: the job's retry waits for it.
                batch.SetError(indices[i], ex.Message, ex.Transient, ex.RetryAfter, ex.Code);
            }
        }
    }

    private async ValueTask<JsonDocument> AttemptAsync(KServeItem[] items, bool batched, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _upstream.Url($"v2/models/{Uri.EscapeDataString(_upstreamModel)}/infer"))
        {
            Content = UpstreamJson.Content(w => WriteRequest(w, items, batched)),
        };
        using var response = await _upstream.SendAsync(message, idempotent: true, cancellationToken).ConfigureAwait(false);
        string json;
        try
        {
            json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new UpstreamException($"backend '{_upstream.Name}': the connection dropped while reading the answer ({ex.Message})", null, true, true, null, ex);
        }

        try
        {
            var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("outputs", out var o) || o.ValueKind != JsonValueKind.Array)
            {
                doc.Dispose();
                throw new JsonException("the answer has no \"outputs\" array");
            }

            return doc;
        }
        catch (JsonException ex)
        {
            // Inference is idempotent: a garbled answer may be asked for again.
            throw new UpstreamException($"backend '{_upstream.Name}': malformed JSON from the upstream in the inference answer: {ex.Message}", null, true, true, null, ex);
        }
    }

    private void WriteRequest(Utf8JsonWriter w, KServeItem[] items, bool batched)
    {
        w.WriteStartObject();
        w.WriteStartArray("inputs");
        var first = items[0];
        for (var t = 0; t < first.Tensors.Length; t++)
        {
            var tensor = first.Tensors[t];
            w.WriteStartObject();
            w.WriteString("name", tensor.Name);
            w.WriteStartArray("shape");
            if (batched)
            {
                w.WriteNumberValue(items.Length);
            }

            foreach (var d in tensor.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteString("datatype", tensor.Datatype);
            w.WriteStartArray("data");
            for (var i = 0; i < items.Length; i++)
            {
                foreach (var e in items[i].Tensors[t].Data)
                {
                    e.WriteTo(w);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void Split(JsonElement root, IInferenceBatch batch, List<int> indices, bool batched)
    {
        var n = indices.Count;
        var outputs = root.GetProperty("outputs");
        var buffers = new ArrayBufferWriter<byte>[n];
        var writers = new Utf8JsonWriter[n];
        try
        {
            for (var i = 0; i < n; i++)
            {
                buffers[i] = new ArrayBufferWriter<byte>(256);
                writers[i] = new Utf8JsonWriter(buffers[i]);
                writers[i].WriteStartObject();
                writers[i].WriteStartArray("outputs");
            }

            foreach (var output in outputs.EnumerateArray())
            {
                var name = output.TryGetProperty("name", out var nm) ? nm.GetString() ?? "" : "";
                var datatype = output.TryGetProperty("datatype", out var dt) ? dt.GetString() ?? "" : "";
                var shape = new List<long>();
                foreach (var d in output.GetProperty("shape").EnumerateArray())
                {
                    shape.Add(d.GetInt64());
                }

                var data = output.GetProperty("data");
                var length = data.GetArrayLength();
                if (batched && (shape.Count == 0 || shape[0] != n || length % n != 0))
                {
                    throw new UpstreamException($"backend '{_upstream.Name}': output '{name}' has shape [{string.Join(", ", shape)}] for a batch of {n}", null, false, true);
                }

                var per = batched ? length / n : length;
                for (var i = 0; i < n; i++)
                {
                    var w = writers[i];
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("datatype", datatype);
                    w.WriteStartArray("shape");
                    for (var d = batched ? 1 : 0; d < shape.Count; d++)
                    {
                        w.WriteNumberValue(shape[d]);
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("data");
                    var start = batched ? i * per : 0;
                    for (var k = 0; k < per; k++)
                    {
                        data[start + k].WriteTo(w);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            }

            for (var i = 0; i < n; i++)
            {
                writers[i].WriteEndArray();
                writers[i].WriteEndObject();
                writers[i].Flush();
                using var result = JsonDocument.Parse(buffers[i].WrittenMemory);
                batch.SetResult(indices[i], result.RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or FormatException or UpstreamException or IndexOutOfRangeException)
        {
            var message = ex is UpstreamException ? ex.Message : $"backend '{_upstream.Name}': unexpected inference answer: {ex.Message}";
            for (var i = 0; i < n; i++)
            {
                batch.SetError(indices[i], message, true, null, (ex as UpstreamException)?.Code ?? JobErrorCodes.UpstreamError);
            }
        }
        finally
        {
            foreach (var w in writers)
            {
                w?.Dispose();
            }
        }
    }
}
