using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.Core.Events;
using Sluice.Core.Queueing;
using Sluice.RabbitMq;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the RabbitMQ transport and the cross-process event hub in place of the in-process ones.</summary>
public static class RabbitMqServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceRabbitMq(this IServiceCollection services)
    {
        services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var u) && u.Scheme is "rabbitmq" or "amqp" or "amqps", "Sluice:Queue:Url must be rabbitmq://user:pass@host:5672/vhost")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitMqOptions>, RabbitMqOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RabbitMqConnection>();
        services.TryAddSingleton(sp => new RabbitMqTopology(sp.GetRequiredService<IOptions<RabbitMqOptions>>().Value));
        services.TryAddSingleton<RabbitMqJobQueue>();
        services.TryAddSingleton<RabbitMqJobEventHub>();
        services.RemoveAll<IJobQueue>();
        services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<RabbitMqJobQueue>());
        services.RemoveAll<IJobEventHub>();
        services.AddSingleton<IJobEventHub>(sp => sp.GetRequiredService<RabbitMqJobEventHub>());
        services.AddHostedService(sp => sp.GetRequiredService<RabbitMqJobEventHub>());
        // A singleton: AddCheck<T> would build a new check per probe, losing the probe in flight and the cached answer.
        services.TryAddSingleton<RabbitMqHealthCheck>();
        services.AddHealthChecks().AddCheck<RabbitMqHealthCheck>("broker", tags: ["ready"]);
        services.TryAddSingleton<RabbitMqDeadLetterReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<RabbitMqDeadLetterReconciler>());
        services.AddHostedService<RabbitMqRepublishSweep>();
        return services;
    }
}
