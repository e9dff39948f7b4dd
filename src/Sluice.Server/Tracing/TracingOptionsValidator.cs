using Microsoft.Extensions.Options;

namespace Sluice.Server.Tracing;

/// <summary>
/// Checks <c>Sluice:Tracing</c> at start, naming the setting: an endpoint that is not an http(s) address or an unknown
/// protocol would otherwise only show as spans that never arrive; an unknown sampler or a ratio outside 0..1 (given here,
/// or in <c>OTEL_TRACES_SAMPLER</c> / <c>OTEL_TRACES_SAMPLER_ARG</c> with export on) would sample other than meant.
/// </summary>
internal sealed class TracingOptionsValidator(IConfiguration configuration) : IValidateOptions<TracingOptions>
{
    internal const string Grpc = "grpc";
    internal const string HttpProtobuf = "http/protobuf";

    public ValidateOptionsResult Validate(string? name, TracingOptions options)
    {
        var errors = new List<string>();
        if (options.Endpoint is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{TracingOptions.SectionName}:Endpoint = '{endpoint}' must be an absolute http:// or https:// address.");
        }

        if (options.Protocol is { } protocol && protocol is not (Grpc or HttpProtobuf))
        {
            errors.Add($"{TracingOptions.SectionName}:Protocol = '{protocol}' must be '{Grpc}' or '{HttpProtobuf}'.");
        }

        if (options.ServiceName is { } service && string.IsNullOrWhiteSpace(service))
        {
            errors.Add($"{TracingOptions.SectionName}:ServiceName must not be empty.");
        }

        TracingSamplers.Validate(options, configuration, TracingServiceCollectionExtensions.ExportEnabled(configuration), errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
