using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Configuration;
using Sluice.Core.Storage;
using Sluice.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL job store (replacing the embedded one) and the shared rate limiter.</summary>
public static class PostgresServiceCollectionExtensions
{
    public static IServiceCollection AddSluicePostgresStore(this IServiceCollection services)
    {
        services.AddOptions<PostgresStoreOptions>().BindConfiguration(PostgresStoreOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.Url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || o.Url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || o.Url.Contains("Host=", StringComparison.OrdinalIgnoreCase),
                "Sluice:Store:Url must be postgres://user:pass@host:port/db")
            // A negative wait failed the start at once ("after waiting -5 s"); a huge one overflowed the clock.
            .Validate(o => o.StartTimeout > TimeSpan.Zero && o.StartTimeout <= WaitLimits.MaxWait,
                "Sluice:Store:StartTimeout must be above 00:00:00 and at most 24.00:00:00")
            // As Sluice:Storage:IdempotencyRetention (AddSluiceSqliteStore): negative turned idempotency off, huge failed every keyed submit.
            .Validate(o => IdempotencyRetention.IsValid(o.IdempotencyRetention),
                "Sluice:Store:IdempotencyRetention must be above 00:00:00 and at most 1.00:00:00 (idempotency keys are purged after a day)")
            // As Sluice:Storage:JobRetention: shorter than a day, a key still honoured could name a job already deleted.
            .Validate(o => JobRetention.IsValid(o.JobRetention),
                "Sluice:Store:JobRetention must be at least 1.00:00:00 and at most 3650.00:00:00 (a finished job outlives its idempotency key)")
            .ValidateOnStart();
        services.TryAddSingleton<PostgresJobStore>();
        services.RemoveAll<IJobStore>();
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.TryAddSingleton(sp => new PostgresRateLimiter(sp.GetRequiredService<PostgresJobStore>()));
        return services;
    }
}
