using System.Text.Json;
using Sluice.Backends.Streaming;
using Sluice.Backends.Templates;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;

namespace Sluice.Backends.Routing;

/// <summary>
/// Moves a job that came through a fallback-capable route (OpenAI endpoints, tasks) off a backend that became
/// unusable while the job waited in its queue: the batcher asks when the job reaches execution, and the job goes
/// to the first model of the <c>Fallback</c> chain that can run it, its input rewritten as the submission would
/// have written it for that model (a model without a chat template of its own gets the rendered prompt). Also moves a
/// job whose attempt the upstream turned away with a <c>Retry-After</c> that would hold its retry back, while a
/// fallback can take it now.
/// </summary>
internal sealed class QueuedJobRerouter(FallbackRouter router, ModelRegistry models) : IJobRerouter
{
    /// <summary>Stop sequences a request may carry (OpenAI's limit, as the OpenAI endpoints enforce).</summary>
    private const int MaxStop = 16;

    public bool TryReroute(string model, string inputJson, object? parsed, out JobReroute? reroute)
    {
        reroute = null;
        return router.ResolveQueued(model, out var reason) is { } target && reason is not null
            && TryPlan(model, target, reason, inputJson, parsed, out reroute);
    }

    public bool TryRerouteHeldBack(string model, string inputJson, object? parsed, TimeSpan wait, out JobReroute? reroute)
    {
        reroute = null;
        return router.ResolveHeldBack(model, wait, out var reason) is { } target && reason is not null
            && TryPlan(model, target, reason, inputJson, parsed, out reroute);
    }

    /// <summary>The move of a job from <paramref name="model"/> to <paramref name="target"/>, its input as that model takes it.</summary>
    private bool TryPlan(string model, string target, string reason, string inputJson, object? parsed, out JobReroute? reroute)
    {
        reroute = null;
        if (!models.TryGet(model, out var from) || !models.TryGet(target, out var to)
            || to.Model is not IGenerativeModel fallback || !TryRead(from.Model, inputJson, parsed, out var request)
            || !TryAdapt(request, fallback is IChatModel, out var adapted) || !fallback.TryValidate(adapted, out _))
        {
            // Nowhere to go (or the fallback cannot take this request): it runs here and answers with its own error.
            return false;
        }

        var input = ReferenceEquals(adapted, request) ? inputJson : System.Text.Encoding.UTF8.GetString(GenerationJson.InputUtf8(adapted));
        reroute = new JobReroute(target, to.Version, reason, input, adapted, from.Version);
        return true;
    }

    private static bool TryRead(IModel? model, string inputJson, object? parsed, out GenerationRequest request)
    {
        if (parsed is GenerationRequest p)
        {
            request = p;
            return true;
        }

        request = null!;
        if (model is not IGenerativeModel g)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(inputJson);
            if (g.TryParseInput(doc.RootElement.Clone(), out var r, out _))
            {
                request = r;
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    /// <summary>
    /// The request as the OpenAI endpoints build it for the fallback: chat turns stay as they are for a model with a
    /// chat template of its own; otherwise they become Sluice's generic template with its stop strings (false when
    /// the request leaves no room for them, as the endpoints refuse it for such a model).
    /// </summary>
    private static bool TryAdapt(GenerationRequest request, bool hasTemplate, out GenerationRequest adapted)
    {
        adapted = request;
        if (hasTemplate || request.Messages is not { } messages)
        {
            return true;
        }

        var stop = new List<string>(request.Stop.Count + ChatTemplate.StopStrings.Count);
        stop.AddRange(request.Stop);
        foreach (var s in ChatTemplate.StopStrings)
        {
            if (!stop.Contains(s))
            {
                stop.Add(s);
            }
        }

        if (stop.Count > MaxStop)
        {
            return false;
        }

        adapted = request with { Prompt = ChatTemplate.Render(messages), Messages = null, Stop = stop };
        return true;
    }
}
