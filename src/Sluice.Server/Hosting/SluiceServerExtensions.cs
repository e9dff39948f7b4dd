using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sluice.Server.Admission;
using Sluice.Server.Apis;
using Sluice.Server.Contracts;
using Sluice.Server.Http;

namespace Sluice.Server.Hosting;

/// <summary>Wires the Sluice server: services on the builder, middleware and endpoints on the app.</summary>
public static class SluiceServerExtensions
{
    /// <summary>The address used when no <c>--urls</c>, <c>ASPNETCORE_URLS</c> or Kestrel endpoint is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder AddSluiceServer(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = SluiceDefaults.Values });
        Logging.SingleLineConsoleFormatter.Decorate(builder.Services);
        if (builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            // Kestrel binds the endpoints of its configuration and ignores --urls, ASPNETCORE_URLS (set by the container
            // image) and ASPNETCORE_HTTP(S)_PORTS then, with an "Overriding address(es)" warning at every start: they
            // are dropped (in every configuration source), so the same addresses are bound and the log stays clean.
            // An empty value would fall back to the urls the host captured when it was created; ";" is a list of none.
            builder.Configuration[WebHostDefaults.ServerUrlsKey] = ";";
            builder.Configuration[WebHostDefaults.HttpPortsKey] = null;
            builder.Configuration[WebHostDefaults.HttpsPortsKey] = null;
        }
        else if (!string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            // URLs win over ASPNETCORE_HTTP(S)_PORTS, with an "Overriding HTTP_PORTS" warning: the .NET base image sets
            // ASPNETCORE_HTTP_PORTS=8080 beside the ASPNETCORE_URLS of ours, so every container start logged it.
            builder.Configuration[WebHostDefaults.HttpPortsKey] = null;
            builder.Configuration[WebHostDefaults.HttpsPortsKey] = null;
        }
        else
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel((context, k) =>
        {
            k.AddServerHeader = false;
            // Bodies are bounded per endpoint by BodyLimitMiddleware and JsonBody; this is the hard ceiling.
            k.Limits.MaxRequestBodySize = 512L * 1024 * 1024;
            // An HTTP/2 connection carries many streams, so a stream's own TCP bound cannot notice a client that vanished
            // (UnacknowledgedSendBound); a ping after a keep-alive interval of silence, unanswered for another, does.
            // An out-of-range value is left to HttpOptions' validation, which stops the start naming it.
            var defaults = new HttpOptions();
            var seconds = Setting(context.Configuration, nameof(HttpOptions.KeepAliveSeconds), defaults.KeepAliveSeconds);
            if (seconds is >= 1 and <= 3600)
            {
                k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(seconds);
                k.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(seconds);
            }

            // Kestrel's own defaults are unlimited: a connection flood would take file descriptors and memory until
            // the process could open neither its store nor a model file.
            if (Setting(context.Configuration, nameof(HttpOptions.MaxConcurrentConnections), defaults.MaxConcurrentConnections) is >= 1 and <= 1_000_000 and var connections)
            {
                k.Limits.MaxConcurrentConnections = connections;
            }

            if (Setting(context.Configuration, nameof(HttpOptions.MaxConcurrentUpgradedConnections), defaults.MaxConcurrentUpgradedConnections) is >= 1 and <= 1_000_000 and var upgraded)
            {
                k.Limits.MaxConcurrentUpgradedConnections = upgraded;
            }
        });
        var services = builder.Services;
        // A streaming client that vanished is expected, not a Kestrel warning with a stack trace (VanishedClientLogger).
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new VanishedClientLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        services.AddSluiceCore();
        services.AddSluiceSqliteStore();
        // Distributed mode is configuration only: a store URL swaps SQLite for PostgreSQL (and shares rate
        // limits across gateways), a queue URL swaps the in-process queue and event hub for RabbitMQ.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["Sluice:Store:Url"]))
        {
            services.AddSluicePostgresStore();
            services.AddSingleton<IRateLimitStore, PostgresRateLimitStore>();
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration["Sluice:Queue:Url"]))
        {
            services.AddSluiceRabbitMq();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Sluice.Core.Scheduling.SchedulingOptions>, RoleSettingsValidator>());
        services.AddSluiceEngine();
        services.AddSluiceGrading();
        services.AddSluiceClassification();
        services.AddSluiceBackends();
        services.AddSluiceTasks();
        services.AddSluiceTracing(builder.Configuration);
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpOptions>, ShutdownDelayValidator>());
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.TryAddSingleton<StreamTokens>();
        // After ModelHost (registered by AddSluiceCore), which opens the store the generated secret is kept in.
        services.AddHostedService<StreamTokenSecretLoader>();
        services.TryAddSingleton<IRateLimitStore, InMemoryRateLimitStore>();
        services.TryAddSingleton<AdmissionFilter>();
        services.AddHostedService<OpenServerWarning>();
        services.TryAddSingleton<UnknownSettingsCheck>();
        services.AddConfigurationProblemSource<UnknownSettingsCheck>();
        // Before AddProblemDetails: writers are asked in the order registered, and the default one writes anything.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, OpenAiProblemDetailsWriter>());
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Fill);
        services.AddExceptionHandler<UnavailableExceptionHandler>();
        services.TryAddSingleton<HealthTransitionLog>();
        services.TryAddSingleton<ShutdownReadiness>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownReadiness>());
        // A singleton: AddCheck<T> alone builds a new check per probe, so the store check's shared, cached answer was never reused.
        services.TryAddSingleton<StoreHealthCheck>();
        services.AddHealthChecks().AddCheck<ModelsHealthCheck>("models", tags: ["ready"]).AddCheck<StoreHealthCheck>("store", tags: ["ready"])
            .Add(new HealthCheckRegistration("shutdown", sp => sp.GetRequiredService<ShutdownReadiness>(), failureStatus: null, tags: ["ready"]));
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
            // Requests may nest 64 deep (JsonBody); a job view wraps input and result a few levels further down, and
            // whatever was accepted must always be writable back.
            o.SerializerOptions.MaxDepth = JsonBody.MaxDepth * 2;
            // The web default also reads numbers from strings, and the OpenAPI document follows these options; no
            // handler accepts "1" for 1, so the document must not offer it.
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddOpenApi("v1", o =>
        {
            o.AddOperationTransformer<JsonRequestBodyTransformer>();
            o.AddOperationTransformer<DocumentedHttpTransformer>();
            o.AddSchemaTransformer<NullableIsOptionalSchemaTransformer>();
            o.AddSchemaTransformer<ProblemDetailsSchemaTransformer>();
            o.AddSchemaTransformer<OpenAiBodySchemaTransformer>();
            o.AddSchemaTransformer<ResponseValuesSchemaTransformer>();
            o.AddSchemaTransformer<RequestConstraintsSchemaTransformer>();
            o.AddDocumentTransformer<AdmissionOpenApiTransformer>();
            // Before the body limit's transformer, which adds the probes' 413.
            o.AddDocumentTransformer<HealthOpenApiTransformer>();
            o.AddDocumentTransformer<BodyLimitOpenApiTransformer>();
            o.AddDocumentTransformer<RelativeServerTransformer>();
            o.AddDocumentTransformer<TagDescriptionsTransformer>();
        });
        return builder;
    }

    /// <summary>A Sluice:Http setting as Kestrel needs it before the options are bound; 0 when it is not an integer.</summary>
    private static int Setting(IConfiguration configuration, string name, int fallback) =>
        configuration[HttpOptions.SectionName + ":" + name] is not { } configured ? fallback
        : int.TryParse(configured, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;

    public static WebApplication MapSluice(this WebApplication app)
    {
        // Start listening to the meter before the first request, not at the first scrape.
        app.Services.GetRequiredService<Sluice.Core.Metrics.PrometheusExporter>();
        app.Services.GetRequiredService<Sluice.Core.Metrics.ProcessMetrics>();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Routed inside the exception handler, not ahead of the pipeline as WebApplication would: an exception in routing
        // is a 500 problem too, never the developer exception page (with its stack) Development puts outside everything.
        app.UseRouting();
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<BodyLimitMiddleware>();
        app.UseWebSockets();
        app.MapOpsApi();
        if (!app.Services.GetRequiredService<IOptions<Sluice.Core.Scheduling.SchedulingOptions>>().Value.ServesApi)
        {
            // A worker runs models only; the public API (and its description) is the gateways'.
            app.MapWorkerApi();
            return app;
        }

        app.MapOpenApi("/openapi/{documentName}.json").AllowHead();
        var v1 = app.MapGroup("/v1").AddEndpointFilter<AdmissionFilter>().AddEndpointFilter<UnknownQueryFilter>();
        v1.MapJobsApi();
        v1.MapModelsApi();
        v1.MapDeadLettersApi();
        v1.MapEssaysApi();
        v1.MapOpenAiApi();
        v1.MapTasksApi();
        app.MapUiApi();
        return app;
    }
}
