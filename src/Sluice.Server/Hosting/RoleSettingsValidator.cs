using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Hosting;

/// <summary>
/// Refuses the role and URL combinations that start but cannot work. A gateway or a worker shares its queue and its
/// store with the other processes: without a queue URL its in-process queue reaches no other process, and without a
/// store URL its own SQLite file is a database nobody else sees (a worker's outcomes never reach the gateway, whose
/// job stays queued forever). Only <c>--role all</c> may run on the embedded queue or store.
/// </summary>
internal sealed class RoleSettingsValidator(IConfiguration configuration) : IValidateOptions<SchedulingOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulingOptions options)
    {
        if (options.Role is not ("gateway" or "worker"))
        {
            return ValidateOptionsResult.Success;
        }

        var missing = new List<string>(2);
        if (string.IsNullOrWhiteSpace(configuration["Sluice:Queue:Url"]))
        {
            missing.Add("Sluice:Queue:Url (--queue rabbitmq://…)");
        }

        if (string.IsNullOrWhiteSpace(configuration["Sluice:Store:Url"]))
        {
            missing.Add("Sluice:Store:Url (--store postgres://…)");
        }

        return missing.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Sluice:Role={options.Role} needs {string.Join(" and ", missing)}: gateways and workers share one queue and one store; only --role all runs on the embedded queue and SQLite store");
    }
}
