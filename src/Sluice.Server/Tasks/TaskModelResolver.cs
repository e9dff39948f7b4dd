using Microsoft.Extensions.Options;
using Sluice.Backends.Health;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Tasks;

/// <summary>
/// Picks the model a task runs on: the request's <c>model</c>, else configuration, else a backend model, else the
/// engine's local model, so tasks work on a fresh machine with nothing configured.
/// </summary>
internal sealed class TaskModelResolver(ModelRegistry registry, IOptions<TaskOptions> options)
{
    public string? Resolve(string task, string? requested)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            return requested;
        }

        var o = options.Value;
        if (o.Models.TryGetValue(task, out var perTask) && perTask.Length > 0)
        {
            return perTask;
        }

        if (!string.IsNullOrEmpty(o.Model))
        {
            return o.Model;
        }

        string? local = null;
        foreach (var e in registry.All)
        {
            if (e.Kind != ModelKind.Generative || e.State != ModelState.Ready || e.Name == "count")
            {
                continue;
            }

            if (e.Model is IBackendModel)
            {
                return e.Name;
            }

            // The first by name, not by discovery order: with a checkpoint and its GGUF copy both found, the plain
            // name ("stories260k") wins over "stories260k-f32.v1" on every machine.
            if (local is null || string.CompareOrdinal(e.Name, local) < 0)
            {
                local = e.Name;
            }
        }

        return local;
    }
}
