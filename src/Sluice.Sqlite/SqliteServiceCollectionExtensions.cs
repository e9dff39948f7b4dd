using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded SQLite job store.</summary>
public static class SqliteServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceSqliteStore(this IServiceCollection services)
    {
        // A negative retention silently turned idempotency off (a retry created a second job) and a huge one failed every
        // submit with a key as 'the job store is unavailable'; past a day it did nothing, as StoreMaintenance forgets keys after 24 hours.
        services.AddOptions<SqliteStoreOptions>().BindConfiguration(SqliteStoreOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => IdempotencyRetention.IsValid(o.IdempotencyRetention),
                "Sluice:Storage:IdempotencyRetention must be above 00:00:00 and at most 1.00:00:00 (idempotency keys are purged after a day)")
            // Shorter than a day, an idempotency key still honoured could name a job already deleted.
            .Validate(o => JobRetention.IsValid(o.JobRetention),
                "Sluice:Storage:JobRetention must be at least 1.00:00:00 and at most 3650.00:00:00 (a finished job outlives its idempotency key)")
            .ValidateOnStart();
        services.TryAddSingleton<SqliteJobStore>();
        services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        return services;
    }
}
