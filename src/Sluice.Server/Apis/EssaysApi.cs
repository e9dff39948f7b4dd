using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// Essay grading (seed 000): <c>POST /v1/essays</c> creates an <c>essay-grader</c> job from
/// <c>{ prompt_id, prompt_text, text }</c>; follow its stage events like any job.
/// </summary>
internal static class EssaysApi
{
    public const string Model = "essay-grader";

    /// <summary>Top-level fields an idempotency hash reads null as left out.</summary>
    private static readonly string[] HashNullFields = ["priority", "cache", "prompt_id", "prompt_text"];

    public static RouteGroupBuilder MapEssaysApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/essays", SubmitAsync).WithTags("Essays").WithName("GradeEssay")
            .WithSummary("Grade an essay: a job whose events report each stage and whose result has scores, traits and suggestions.")
            .DocumentsJsonBody<EssayBody>()
            .DocumentsParameters(ApiDocs.Submit)
            .Produces<JobView>(StatusCodes.Status202Accepted).Produces<JobView>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503)
            .DocumentsResponseHeaders([200, 202], ApiDocs.SubmitAnswer);
        return v1;
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, JobService jobs, IOptions<HttpOptions> options)
    {
        var (doc, error) = await JsonBody.ReadAsync(http, options.Value).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            if (!JobsApi.TryReadCommonHeaders(http, options.Value, out var idempotencyKey, out var wait, out error))
            {
                return error!;
            }

            var root = doc!.RootElement;
            var priority = Core.Jobs.JobPriority.Normal;
            // Optional fields sent as null are left out, as generated clients send unset fields.
            if (root.TryGetProperty("priority", out var p) && p.ValueKind != JsonValueKind.Null && (p.ValueKind != JsonValueKind.String || !Core.Jobs.JobStatusNames.TryParsePriority(p.GetString(), out priority)))
            {
                return Problems.BadRequest("priority", "must be \"high\", \"normal\" or \"low\"");
            }

            var useCache = true;
            if (root.TryGetProperty("cache", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                if (c.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return Problems.BadRequest("cache", "must be a boolean");
                }

                useCache = c.GetBoolean();
            }

            // The grader validates prompt_id, prompt_text and text itself; field paths come back as input.*.
            using var input = RemoveProperties(root, "priority", "cache");
            var outcome = await jobs.SubmitAsync(new SubmitRequest
            {
                Model = Model,
                Input = input.RootElement,
                Priority = priority,
                UseCache = useCache,
                Owner = AdmissionFilter.CallerOf(http).Id,
                IdempotencyKey = idempotencyKey,
                BodyHash = idempotencyKey is null ? null : Core.Caching.CacheKeys.BodyHash("POST /v1/essays", root, HashNullFields),
                HashedBody = root,
                HashedNullFields = HashNullFields,
                TraceParent = JobsApi.TraceParent(http),
            }, http.RequestAborted).ConfigureAwait(false);
            if (outcome.Status == SubmitStatus.UnknownModel)
            {
                // The client named no model here: say which one is missing and why, not "field: model".
                return Problems.Create(StatusCodes.Status404NotFound, "Essay grader not enabled",
                    $"this server does not run the essay grader (model '{Model}'; Sluice:Models:{Model}:Enabled is false); see GET /v1/models", type: "unknown-model");
            }

            if (outcome.Status == SubmitStatus.InvalidInput && outcome.Error.Field.StartsWith("input.", StringComparison.Ordinal))
            {
                // The essay body is the grader's input: report fields as the client wrote them, and the fields this
                // endpoint adds to the grader's among the allowed ones.
                var message = outcome.Error.Message.Replace(Grading.Serving.EssayInputParser.Fields, Grading.Serving.EssayInputParser.Fields + ", priority, cache", StringComparison.Ordinal);
                return Problems.BadRequest(outcome.Error.Field["input.".Length..], message);
            }

            return await JobResponses.FromOutcomeAsync(http, jobs, outcome, wait).ConfigureAwait(false);
        }
    }

    private static JsonDocument RemoveProperties(JsonElement obj, string first, string second)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var p in obj.EnumerateObject())
            {
                if (!p.NameEquals(first) && !p.NameEquals(second))
                {
                    p.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }
}
