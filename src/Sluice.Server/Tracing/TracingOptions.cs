namespace Sluice.Server.Tracing;

/// <summary>
/// OpenTelemetry trace export (section <c>Sluice:Tracing</c>). Export is on when <see cref="Enabled"/> is true or the
/// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) is set, unless
/// <c>OTEL_SDK_DISABLED=true</c>; a setting given here wins over its <c>OTEL_*</c> variable.
/// </summary>
public sealed class TracingOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Tracing";

    /// <summary>Export spans over OTLP.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The collector's base address (<c>http://host:4318</c> for http/protobuf, <c>http://host:4317</c> for grpc), as
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: <c>/v1/traces</c> is appended for http/protobuf. Null: the variable, else the
    /// exporter's default (<c>http://localhost:4317</c>).
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>, as <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>. Null: the variable, else grpc.</summary>
    public string? Protocol { get; set; }

    /// <summary>The <c>service.name</c> of the spans. Null: <c>OTEL_SERVICE_NAME</c>, else <c>sluice</c>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// The sampler, as <c>OTEL_TRACES_SAMPLER</c>: <c>always_on</c>, <c>always_off</c>, <c>traceidratio</c>,
    /// <c>parentbased_always_on</c>, <c>parentbased_always_off</c> or <c>parentbased_traceidratio</c>. Null: the variable,
    /// else <c>parentbased_always_on</c>. Outgoing HTTP outside any trace (health probes) is dropped with every choice.
    /// </summary>
    public string? Sampler { get; set; }

    /// <summary>
    /// The ratio (0 to 1) of the <c>traceidratio</c> samplers, as <c>OTEL_TRACES_SAMPLER_ARG</c>. Null: the variable, else 1.
    /// </summary>
    public double? SamplerArg { get; set; }
}
