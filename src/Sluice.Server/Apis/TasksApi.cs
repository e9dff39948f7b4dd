using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.Backends.Routing;
using Sluice.Backends.Streaming;
using Sluice.Core.Caching;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Http;
using Sluice.Server.Tasks;

namespace Sluice.Server.Apis;

/// <summary>
/// Tasks: named, versioned prompt templates (<see cref="TaskCatalog"/>) run as generation jobs on any generative
/// model. <c>POST /v1/tasks/{name}</c> validates the input against the task's schema, renders the prompt and
/// submits a job (202, or the finished job with <c>Prefer: wait</c>); follow its events to read the text as it is
/// written. <c>GET /v1/tasks</c> lists the templates with their schemas.
/// </summary>
internal static class TasksApi
{
    public const int MaxRequestIdLength = 200;

    /// <summary>The optional top-level fields (all but <c>input</c>); a null stands for leaving one out, also for the idempotency body check.</summary>
    private static readonly string[] NullableFields = ["model", "version", "priority", "lane", "deadline_ms", "max_tokens", "temperature", "seed", "request_id", "cache"];

    public static RouteGroupBuilder MapTasksApi(this RouteGroupBuilder v1)
    {
        var tasks = v1.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapGetAndHead("/", List).WithName("ListTasks").WithSummary("Every task template with its version, input schema and default model.").Produces<TaskList>();
        tasks.MapGetAndHead("/{name}", Get).WithName("GetTask").WithSummary("One task template with its version, input schema and default model.").Produces<TaskView>().ProducesProblem(404);
        tasks.MapPost("/{name}", RunAsync).WithName("RunTask")
            .WithSummary("Run a task: a generation job from the template and input (202; 'Prefer: wait=N' for the finished job).")
            .DocumentsJsonBody<RunTaskBody>()
            .DocumentsParameters(ApiDocs.Submit)
            .Produces<JobView>(StatusCodes.Status202Accepted).Produces<JobView>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503)
            .DocumentsResponseHeaders([200, 202], [.. ApiDocs.SubmitAnswer, ApiDocs.TaskRun, ApiDocs.RunsOn, ApiDocs.Fallback, .. ApiDocs.TokenLimits])
            .DocumentsResponseHeaders([429], [.. ApiDocs.TokenLimits, ApiDocs.RetryAfterMs]);
        return v1;
    }

    private static IResult List(TaskCatalog catalog, TaskModelResolver models)
    {
        var views = new List<TaskView>();
        foreach (var t in catalog.All)
        {
            views.Add(View(t, models));
        }

        return TypedResults.Json(new TaskList("list", views), TasksJsonContext.Default.TaskList);
    }

    private static IResult Get(string name, TaskCatalog catalog, TaskModelResolver models) =>
        catalog.TryGet(name, out var t) ? TypedResults.Json(View(t, models), TasksJsonContext.Default.TaskView) : UnknownTask(name);

    private static async Task<IResult> RunAsync(string name, HttpContext http, TaskCatalog catalog, TaskModelResolver models, JobService jobs,
        FallbackRouter router, IRateLimitStore limits, IOptions<HttpOptions> options)
    {
        if (!catalog.TryGet(name, out var template))
        {
            return UnknownTask(name);
        }

        var (doc, error) = await JsonBody.ReadAsync(http, options.Value).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var root = doc!.RootElement;
            if (!JobsApi.TryReadCommonHeaders(http, options.Value, out var idempotencyKey, out var wait, out error))
            {
                return error!;
            }

            if (!TryReadBody(root, template, out var body, out error))
            {
                return error!;
            }

            if (!TaskInput.TryRead(body.Input, template.Fields, out var input, out var field, out var message))
            {
                return Problems.BadRequest(field, message);
            }

            if (idempotencyKey is not null && body.RequestId is not null)
            {
                // Two keys for one request: honouring one silently would let a retry that sends only the other (the
                // documented request_id alone) create a second job.
                return Problems.BadRequest("request_id", "send request_id or the Idempotency-Key header, not both");
            }

            // A request id makes the task idempotent without a header: the same id and body give the same job.
            var keyFromRequestId = false;
            if (idempotencyKey is null && body.RequestId is { } requestId)
            {
                keyFromRequestId = true;
                idempotencyKey = $"task:{template.Name}:{requestId}";
                if (!SubmitParser.IsValidIdempotencyKey(idempotencyKey))
                {
                    return Problems.BadRequest("request_id", "must be 1–200 visible ASCII characters (no spaces)");
                }
            }

            var (requested, setting) = models.Resolve(template.Name, body.Model);
            if (requested is null)
            {
                JobResponses.SetRetryAfter(http, TimeSpan.FromSeconds(5));
                return Problems.Create(503, "No model", "no generative model is ready to run tasks; configure Sluice:Tasks:Model or a backend", "model", "model-unavailable");
            }

            // A model named by configuration, not by the request, is the server's fault: 503 naming the setting.
            if (setting is not null && models.Misconfiguration(setting, requested) is { } misconfigured)
            {
                return Problems.Create(503, "Task model misconfigured", misconfigured + "; the server's configuration must be fixed", type: "task-model-misconfigured");
            }

            // Routed as the circuit's trial call: given back unless a job was queued to make it (a task answered 202
            // leaves its job queued; the claim then lapses after the request timeout if the job never runs).
            var model = router.Resolve(requested, out var fallbackReason, out var trial);
            if (!jobs.Registry.TryGet(model, out var entry))
            {
                trial.Release();
                return Problems.Create(404, "Unknown model", $"no model '{ClientText.Echo(model)}'; see GET /v1/models", "model", "unknown-model");
            }

            if (entry.Kind != ModelKind.Generative)
            {
                trial.Release();
                return Problems.BadRequest("model", $"'{ClientText.Echo(model)}' is not a generative model");
            }

            var chat = new OpenAiRequest
            {
                Model = model,
                Chat = true,
                Messages = template.Render(input!),
                MaxTokens = body.MaxTokens ?? template.MaxTokens,
                Temperature = body.Temperature ?? template.Temperature,
                Seed = body.Seed,
            };
            var generation = OpenAiRequestParser.ToGeneration(chat, entry.Model is IChatModel, template.MaxTokens);
            var caller = AdmissionFilter.CallerOf(http);
            if (await OpenAiTokenLimits.TryReserveAsync(http, limits, caller, generation.MaxTokens, openAiShape: false).ConfigureAwait(false) is { } limited)
            {
                trial.Release();
                return limited;
            }

            var outcome = await jobs.SubmitAsync(new SubmitRequest
            {
                Model = model,
                Input = OpenAiRequestParser.ToInput(generation),
                Generation = generation,
                Priority = body.Priority ?? template.Priority,
                DeadlineMs = body.DeadlineMs,
                Owner = caller.Id,
                IdempotencyKey = idempotencyKey,
                BodyHash = idempotencyKey is null ? null : CacheKeys.BodyHash("POST /v1/tasks/" + template.Name, root, NullableFields),
                HashedBody = root,
                HashedNullFields = NullableFields,
                TraceParent = JobsApi.TraceParent(http),
                UseCache = body.UseCache,
                // A model with a fallback chain hands the job on if it becomes unusable while the job waits.
                FallbackAllowed = router.Next(model) is not null,
            }, http.RequestAborted).ConfigureAwait(false);

            if (outcome.Job is { } job)
            {
                http.Response.Headers["X-Sluice-Task"] = string.Create(CultureInfo.InvariantCulture, $"{template.Name}@{template.Version}");
                http.Response.Headers["X-Sluice-Model"] = model;
                if (fallbackReason is not null && model != requested)
                {
                    http.Response.Headers["X-Sluice-Fallback"] = $"{requested}; {fallbackReason}";
                }

                // The reservation was max_tokens; give back what the job does not use once it ends.
                _ = RefundWhenDoneAsync(jobs, limits, caller, job, generation.MaxTokens, outcome.Status == SubmitStatus.Accepted);
            }
            else
            {
                trial.Release();
                await OpenAiTokenLimits.ReturnAsync(limits, caller, generation.MaxTokens, 0).ConfigureAwait(false);
                if (outcome.Status == SubmitStatus.InvalidInput)
                {
                    return Problems.BadRequest(BodyFieldOf(outcome.Error.Field), outcome.Error.Message);
                }

                if (outcome.Status == SubmitStatus.IdempotencyMismatch && keyFromRequestId)
                {
                    return Problems.Create(422, "Request id reused", "this request_id was used with a different request body", "request_id", "idempotency-mismatch");
                }
            }

            return await JobResponses.FromOutcomeAsync(http, jobs, outcome, wait).ConfigureAwait(false);
        }
    }

    private static async Task RefundWhenDoneAsync(JobService jobs, IRateLimitStore limits, Caller caller, JobRecord job, int reserved, bool fresh)
    {
        if (caller.TokensPerMinute <= 0)
        {
            return;
        }

        try
        {
            var used = 0;
            if (fresh)
            {
                // A job cancelled, expired or failed part way still spent what it generated.
                var (done, generated, _) = await JobWaiter.WaitCountingTokensAsync(jobs, job, TimeSpan.FromHours(1), CancellationToken.None, cancelOnDisconnect: false).ConfigureAwait(false);
                used = done?.Status == JobStatus.Succeeded ? OpenAiResult.Parse(done.ResultJson).CompletionTokens : generated;
            }

            await OpenAiTokenLimits.ReturnAsync(limits, caller, reserved, used).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or OperationCanceledException)
        {
            // A refund is a courtesy: on failure the reservation simply stands.
        }
    }

    private readonly record struct TaskBody(JsonElement Input, string? Model, JobPriority? Priority, int? DeadlineMs, int? MaxTokens, float? Temperature, ulong? Seed, string? RequestId, bool UseCache);

    private static bool TryReadBody(JsonElement root, TaskTemplate template, out TaskBody body, out IResult? error)
    {
        body = new TaskBody(default, null, null, null, null, null, null, null, true);
        error = null;
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "input":
                    body = body with { Input = v.Clone() };
                    break;
                case var name when v.ValueKind == JsonValueKind.Null && NullableFields.AsSpan().Contains(name):
                    // An optional field sent as null is left out, as generated clients send unset fields.
                    break;
                case "model" when v.ValueKind == JsonValueKind.String && SubmitParser.IsValidModelName(v.GetString()):
                    body = body with { Model = v.GetString() };
                    break;
                case "version" when JsonInteger.TryGetInt32(v, out var version):
                    if (version != template.Version)
                    {
                        error = Problems.BadRequest("version", $"task '{template.Name}' is at version {template.Version}; version {version} is not available");
                        return false;
                    }

                    break;
                case "priority" when v.ValueKind == JsonValueKind.String && JobStatusNames.TryParsePriority(v.GetString(), out var priority):
                    body = body with { Priority = priority };
                    break;
                case "lane" when v.ValueKind == JsonValueKind.String && template.Lanes is { } lanes:
                    // A null priority is a priority left out (as everywhere in the body), not a second one.
                    if (root.TryGetProperty("priority", out var given) && given.ValueKind != JsonValueKind.Null)
                    {
                        error = Problems.BadRequest("lane", "a lane sets the priority: send lane or priority, not both");
                        return false;
                    }

                    if (!lanes.TryGetValue(v.GetString()!, out var lane))
                    {
                        error = Problems.BadRequest("lane", $"must be one of {string.Join(", ", lanes.Keys)}");
                        return false;
                    }

                    body = body with { Priority = lane };
                    break;
                case "deadline_ms" when JsonInteger.TryGetInt32(v, out var deadline) && deadline is >= 1 and <= SubmitParser.MaxDeadlineMs:
                    body = body with { DeadlineMs = deadline };
                    break;
                case "max_tokens" when JsonInteger.TryGetInt32(v, out var max) && max >= 1:
                    body = body with { MaxTokens = max };
                    break;
                case "temperature" when v.ValueKind == JsonValueKind.Number && v.GetDouble() is >= 0 and <= 2:
                    body = body with { Temperature = (float)v.GetDouble() };
                    break;
                case "seed" when JsonInteger.TryGetUInt64(v, out var seed):
                    body = body with { Seed = seed };
                    break;
                case "request_id" when v.ValueKind == JsonValueKind.String && v.GetString()!.Length is > 0 and <= MaxRequestIdLength:
                    body = body with { RequestId = v.GetString() };
                    break;
                case "cache" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    body = body with { UseCache = v.ValueKind == JsonValueKind.True };
                    break;
                case var name when NullableFields.AsSpan().Contains(name):
                    // A known field with a value of the wrong type or range.
                    error = Problems.BadRequest(p.Name, Expected(p.Name, template));
                    return false;
                default:
                    error = Problems.BadRequest(ClientText.Echo(p.Name), "unknown field; the body is { \"input\": {...}, \"model\", \"version\", \"priority\", \"lane\", \"deadline_ms\", \"max_tokens\", \"temperature\", \"seed\", \"request_id\", \"cache\" }");
                    return false;
            }
        }

        if (body.Input.ValueKind == JsonValueKind.Undefined)
        {
            error = Problems.BadRequest("input", $"is required: {Schema(template)}");
            return false;
        }

        return true;
    }

    /// <summary>
    /// The task body's name for a field of the generation request the model refused: the rendered prompt is the
    /// task's <c>input</c> (too long for the model's context …), the sampling settings are top-level body fields.
    /// </summary>
    private static string BodyFieldOf(string field) => field switch
    {
        "input.prompt" or "input.messages" => "input",
        "input.max_tokens" => "max_tokens",
        "input.temperature" => "temperature",
        "input.seed" => "seed",
        _ => field,
    };

    private static string Expected(string name, TaskTemplate template) => name switch
    {
        "model" => "must be a model name; see GET /v1/models",
        "version" => "must be an integer",
        "priority" => "must be \"high\", \"normal\" or \"low\"",
        "lane" => template.Lanes is null ? $"task '{template.Name}' has no lanes; use priority" : "must be a string",
        "deadline_ms" => "must be an integer from 1 to 86400000",
        "max_tokens" => "must be an integer from 1 to 2147483647",
        "temperature" => "must be a number from 0 to 2",
        "seed" => "must be a non-negative integer",
        "request_id" => "must be a string of 1–200 characters",
        _ => "must be a boolean",
    };

    private static string Schema(TaskTemplate t)
    {
        var parts = new List<string>();
        foreach (var f in t.Fields)
        {
            parts.Add($"{f.Name}: {f.JsonType}{(f.Required ? "" : " (optional)")}");
        }

        return "{ " + string.Join(", ", parts) + " }";
    }

    private static TaskView View(TaskTemplate t, TaskModelResolver models)
    {
        var input = new Dictionary<string, TaskFieldView>(StringComparer.Ordinal);
        foreach (var f in t.Fields)
        {
            var numeric = f.Type == TaskFieldType.Integer;
            input[f.Name] = new TaskFieldView(f.JsonType, f.Required, f.Description, numeric ? f.Min : null, f.Max, f.Default);
        }

        List<string>? lanes = null;
        if (t.Lanes is not null)
        {
            lanes = [.. t.Lanes.Keys];
        }

        using var example = JsonDocument.Parse(t.Example);
        return new TaskView(t.Name, "task", t.Version, t.Description, t.Seed, input, lanes, t.Priority.ToWire(), t.MaxTokens, t.Temperature, models.Resolve(t.Name, null).Model, example.RootElement.Clone());
    }

    private static IResult UnknownTask(string name) => Problems.Create(404, "Unknown task", $"no task '{ClientText.Echo(name)}'; see GET /v1/tasks", "name", "unknown-task");
}
