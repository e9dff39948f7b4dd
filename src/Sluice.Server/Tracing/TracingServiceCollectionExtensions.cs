using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sluice.Core.Tracing;
using Sluice.Server.Tracing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Wires OTLP trace export of the <c>Sluice</c> spans, ASP.NET Core's server spans and the client spans of outgoing
/// HTTP calls (to remote backends) made within a trace.
/// </summary>
public static class TracingServiceCollectionExtensions
{
    /// <summary>The ASP.NET Core activity source: the request's server span, the parent of a job's spans.</summary>
    private const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>
    /// .NET's <c>HttpClient</c> activity source: a run's call to a remote backend is a client span under the run, and
    /// carries the job's trace to the upstream in <c>traceparent</c>.
    /// </summary>
    private const string HttpClientSource = "System.Net.Http";

    public static IServiceCollection AddSluiceTracing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TracingOptions>>(new TracingOptionsValidator(configuration)));
        if (!ExportEnabled(configuration))
        {
            // No tracer provider: nothing listens to the Sluice source, so no span is ever created.
            return services;
        }

        var serviceName = NonEmpty(configuration[TracingOptions.SectionName + ":ServiceName"]) ?? NonEmpty(configuration["OTEL_SERVICE_NAME"]) ?? "sluice";
        services.AddOptions<OtlpExporterOptions>().Configure<IOptions<TracingOptions>>(static (otlp, tracing) => Apply(otlp, tracing.Value));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t.AddSource(SluiceTracing.SourceName, AspNetCoreSource, HttpClientSource).SetSampler(sp => TracingSamplers.Create(sp.GetRequiredService<IOptions<TracingOptions>>().Value, configuration)).AddOtlpExporter());
        return services;
    }

    /// <summary>
    /// On when <c>Sluice:Tracing:Enabled</c> is true or an OTLP endpoint variable is set, unless <c>OTEL_SDK_DISABLED</c>.
    /// An unreadable <c>Enabled</c> is left to the options' validation, which stops the start naming it.
    /// </summary>
    internal static bool ExportEnabled(IConfiguration configuration)
    {
        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return (bool.TryParse(configuration[TracingOptions.SectionName + ":Enabled"], out var enabled) && enabled)
            || NonEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) is not null
            || NonEmpty(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]) is not null;
    }

    private static void Apply(OtlpExporterOptions otlp, TracingOptions tracing)
    {
        if (tracing.Protocol is { } protocol)
        {
            otlp.Protocol = protocol == TracingOptionsValidator.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        }

        if (tracing.Endpoint is { } endpoint)
        {
            // A base address, as OTEL_EXPORTER_OTLP_ENDPOINT: the exporter appends the signal's path only to the variable's.
            otlp.Endpoint = otlp.Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint.TrimEnd('/') + "/v1/traces")
                : new Uri(endpoint);
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
