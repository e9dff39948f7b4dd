using Microsoft.Extensions.Options;
using Sluice.Backends.Health;
using Sluice.Core.Configuration;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Tasks;

/// <summary>
/// Picks the model a task runs on: the request's <c>model</c>, else configuration, else a backend model, else the
/// engine's local model, so tasks work on a fresh machine with nothing configured. The automatic choice prefers a
/// backend that is healthy (or not probed yet), then the local model, then a backend whose circuit awaits its trial
/// call (<c>half_open</c>: its last calls failed, even though its probe may pass), then one that is down; a model named
/// by the request or by configuration is taken as named, and the fallback router judges it.
/// </summary>
internal sealed class TaskModelResolver(ModelRegistry registry, TaskCatalog catalog, IOptions<TaskOptions> options) : IConfigurationProblemSource
{
    public const string ModelSetting = TaskOptions.SectionName + ":" + nameof(TaskOptions.Model);

    public static string PerTaskSetting(string task) => TaskOptions.SectionName + ":" + nameof(TaskOptions.Models) + ":" + task;

    public TaskModelChoice Resolve(string task, string? requested)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            return new TaskModelChoice(requested, null);
        }

        var o = options.Value;
        if (o.Models.TryGetValue(task, out var perTask) && perTask.Length > 0)
        {
            return new TaskModelChoice(perTask, PerTaskSetting(task));
        }

        if (!string.IsNullOrEmpty(o.Model))
        {
            return new TaskModelChoice(o.Model, ModelSetting);
        }

        string? local = null;
        string? awaitingTrial = null;
        string? unavailable = null;
        foreach (var e in registry.All)
        {
            if (e.Kind != ModelKind.Generative || e.State != ModelState.Ready || e.Name == "count")
            {
                continue;
            }

            if (e.Model is IBackendModel backend)
            {
                var health = backend.Upstream.Health;
                if (health.State is "healthy" or "unknown")
                {
                    return new TaskModelChoice(e.Name, null);
                }

                // half_open is available (a request may be its trial call), but the circuit opened because real
                // generations failed, which a passing probe does not disprove: a task nobody pointed at it goes to a
                // model that works while there is one.
                if (health.IsAvailable)
                {
                    awaitingTrial ??= e.Name;
                }
                else
                {
                    unavailable ??= e.Name;
                }

                continue;
            }

            // The first by name, not by discovery order: with a checkpoint and its GGUF copy both found, the plain
            // name ("stories260k") wins over "stories260k-f32.v1" on every machine.
            if (local is null || string.CompareOrdinal(e.Name, local) < 0)
            {
                local = e.Name;
            }
        }

        return new TaskModelChoice(local ?? awaitingTrial ?? unavailable, null);
    }

    /// <summary>Task model settings that cannot work (no such model, not generative, no such task), one message each.</summary>
    public IReadOnlyList<string> ConfigurationProblems()
    {
        var problems = new List<string>();
        var o = options.Value;
        if (!string.IsNullOrEmpty(o.Model))
        {
            Check(problems, ModelSetting, o.Model);
        }

        foreach (var (task, model) in o.Models)
        {
            if (!catalog.TryGet(task, out _))
            {
                problems.Add($"{PerTaskSetting(task)}: there is no task '{task}' (see GET /v1/tasks).");
            }
            else if (model.Length > 0)
            {
                Check(problems, PerTaskSetting(task), model);
            }
        }

        return problems;
    }

    /// <summary>Why <paramref name="model"/>, named by <paramref name="setting"/>, cannot run tasks; null when it can.</summary>
    public string? Misconfiguration(string setting, string model)
    {
        if (!registry.TryGet(model, out var entry))
        {
            return $"{setting} = '{model}' names no model (see GET /v1/models)";
        }

        return entry.Kind != ModelKind.Generative ? $"{setting} = '{model}' is not a generative model; tasks need one" : null;
    }

    private void Check(List<string> problems, string setting, string model)
    {
        if (Misconfiguration(setting, model) is { } problem)
        {
            problems.Add(problem + "; tasks that use it answer 503 until it is fixed.");
        }
    }
}
