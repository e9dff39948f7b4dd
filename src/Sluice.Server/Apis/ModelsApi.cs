using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.Backends.Health;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Server.Contracts;
using Sluice.Server.Hosting;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>Models: list with state, scheduler settings and live queue depth; synchronous (unqueued) inference.</summary>
internal static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder v1)
    {
        var models = v1.MapGroup("/models").WithTags("Models");
        // OpenAI's list and retrieve models (docs/api.md): lenient about the query as the OpenAI endpoints are.
        models.MapGetAndHead("/", List).WithName("ListModels").WithSummary("Every model with version, state, scheduler settings and queue depth.").Produces<ModelList>()
            .WithMetadata(AnyQueryAccepted.Instance);
        models.MapGetAndHead("/{model}", Get).WithName("GetModel").WithSummary("One model with version, state, scheduler settings and queue depth.").Produces<ModelView>().ProducesProblem(404).WithMetadata(AnyQueryAccepted.Instance);
        models.MapPost("/{model}/infer", InferAsync).WithName("InferSync")
            .WithSummary("Run one input on the model inside this request: no queue, no batching (the synchronous baseline).")
            .DocumentsJsonBody<SyncInferBody>()
            .Produces<SyncInferResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415)
            .ProducesProblem(422).ProducesProblem(502).ProducesProblem(503).ProducesProblem(504);
        return v1;
    }

    private static IResult List(ModelRegistry registry, IJobQueue queue)
    {
        var list = new List<ModelView>(registry.All.Count);
        foreach (var e in registry.All)
        {
            list.Add(View(e, queue));
        }

        return TypedResults.Ok(new ModelList(list));
    }

    private static IResult Get(string model, ModelRegistry registry, IJobQueue queue) =>
        registry.TryGet(model, out var e) ? TypedResults.Ok(View(e, queue)) : Problems.Create(404, "Unknown model", $"no model '{ClientText.Echo(model)}'", "model", "unknown-model");

    private static async Task<IResult> InferAsync(string model, HttpContext http, DirectInference direct, ModelRegistry registry, IOptions<HttpOptions> options)
    {
        // The route names the model, so an unknown one is the answer whatever the body holds (as for tasks).
        if (!registry.TryGet(model, out _))
        {
            return Problems.Create(404, "Unknown model", $"no model '{ClientText.Echo(model)}'", "model", "unknown-model");
        }

        var (doc, error) = await JsonBody.ReadAsync(http, options.Value).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            JsonElement input = default;
            foreach (var p in doc!.RootElement.EnumerateObject())
            {
                if (p.NameEquals("input"))
                {
                    input = p.Value.Clone();
                }
                else
                {
                    var shown = ClientText.Echo(p.Name);
                    return Problems.BadRequest(shown, $"unknown field '{shown}'; the body is {{\"input\": ...}}");
                }
            }

            if (input.ValueKind == JsonValueKind.Undefined)
            {
                return Problems.BadRequest("input", "is required");
            }

            var start = Stopwatch.GetTimestamp();
            // The run goes on through the drain of a graceful stop; just before the host would cut the connection
            // it is cancelled and answered 503, so the client retries (elsewhere) instead of seeing a reset. Nothing is
            // lost: the run was never a job, and its client is told so.
            var cutNear = http.RequestServices.GetRequiredService<ShutdownReadiness>().CutNear;
            using var run = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, cutNear);
            DirectResult r;
            try
            {
                r = await direct.RunAsync(model, input, run.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cutNear.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
            {
                return ServerStopping(http);
            }

            switch (r.Status)
            {
                case DirectStatus.Succeeded:
                    using (var result = JsonDocument.Parse(r.ResultJson!))
                    {
                        return TypedResults.Ok(new SyncInferResponse(model, result.RootElement.Clone(), Stopwatch.GetElapsedTime(start).TotalMilliseconds));
                    }

                case DirectStatus.UnknownModel:
                    return Problems.Create(404, "Unknown model", $"no model '{ClientText.Echo(model)}'", "model", "unknown-model");
                case DirectStatus.InvalidInput:
                    return Problems.BadRequest(r.Error.Field, r.Error.Message);
                case DirectStatus.ModelUnavailable:
                    JobResponses.SetRetryAfter(http, TimeSpan.FromSeconds(5));
                    return Problems.Create(503, "Model unavailable", r.Detail ?? "not ready", "model", "model-unavailable");
                default:
                    return Failed(http, registry, model, r);
            }
        }
    }

    /// <summary>The answer to a synchronous run the stopping server cannot finish before its shutdown timeout.</summary>
    private static IResult ServerStopping(HttpContext http)
    {
        JobResponses.SetRetryAfter(http, TimeSpan.FromSeconds(1));
        return Problems.Create(503, "Server stopping", "the server is stopping and could not finish this run before its shutdown timeout; retry it", type: "server-stopping");
    }

    /// <summary>
    /// A failed run: the input is blamed (422) only when the model failed on it, that is a local model's failure or a
    /// remote upstream refusing the request as invalid (400, 413, 422); the upstream's own faults are a gateway's
    /// answers, as the OpenAI endpoints give them: 503 with <c>Retry-After</c> when it will not take the call for now
    /// (open circuit, its 429 or 503), 504 when it did not answer in time, 502 for anything else it got wrong. Decided
    /// on the failure's code, never on its words.
    /// </summary>
    private static IResult Failed(HttpContext http, ModelRegistry registry, string model, DirectResult r)
    {
        var detail = r.Detail;
        var remote = registry.TryGet(model, out var entry) && entry.Model is IBackendModel;
        if (!remote || r.ErrorCode == JobErrorCodes.UpstreamRefused)
        {
            return Problems.Create(422, "Inference failed", detail ?? "the model failed on this input", "input", "inference-failed");
        }

        if (r.ErrorCode == JobErrorCodes.CircuitOpen)
        {
            // The upstream was not called: retry at the circuit's next trial.
            JobResponses.SetRetryAfter(http, CircuitRetry.After(registry, model));
            return Problems.Create(503, "Model unavailable", detail!, "model", "model-unavailable");
        }

        if (r.ErrorCode == JobErrorCodes.UpstreamUnavailable)
        {
            // The upstream did not take the call on. 503 rather than its 429, which would read as the client's own
            // limit; the wait it asked for is passed on (at least 1 s when it named none).
            JobResponses.SetRetryAfter(http, r.RetryAfter is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            return Problems.Create(503, "Model unavailable", detail!, "model", "model-unavailable");
        }

        return r.ErrorCode == JobErrorCodes.UpstreamTimeout
            ? Problems.Create(504, "Upstream timeout", detail!, "model", "upstream-timeout")
            : Problems.Create(502, "Upstream error", detail ?? "the upstream failed", "model", "upstream-error");
    }

    internal static ModelView View(ModelEntry e, IJobQueue queue)
    {
        var d = queue.GetDepth(e.Name);
        var s = e.Settings;
        var descriptor = e.Model?.Descriptor;
        return new ModelView
        {
            Id = e.Name,
            Version = e.Version,
            Kind = KindName(e.Kind),
            State = StateName(e.State),
            Error = e.Error,
            Deterministic = descriptor?.Deterministic ?? false,
            Description = descriptor?.Description,
            Metadata = descriptor?.Metadata,
            Scheduler = new SchedulerView(SchedulerName(e.Kind), s.MaxBatchSize, s.MaxQueueDelayMs, s.MaxNumSeqs, s.MaxQueueDepth, s.MaxAttempts, s.DefaultDeadlineMs),
            Queue = new QueueView(d.High, d.Normal, d.Low, d.Total, Volatile.Read(ref e.InFlight)),
        };
    }

    // The wire names of a model's kind, state and scheduler, which the OpenAPI document lists as their enums
    // (ResponseValuesSchemaTransformer).
    internal static string KindName(ModelKind kind) => kind == ModelKind.Batch ? "batch" : "generative";

    internal static string StateName(ModelState state) => state switch
    {
        ModelState.Loading => "loading",
        ModelState.Warming => "warming",
        ModelState.Ready => "ready",
        _ => "failed",
    };

    internal static string SchedulerName(ModelKind kind) => kind == ModelKind.Batch ? "dynamic" : "continuous";
}
