using System.Globalization;
using OpenTelemetry.Trace;

namespace Sluice.Server.Tracing;

/// <summary>
/// The sampler of the exported traces: <c>Sluice:Tracing:Sampler</c> / <c>SamplerArg</c>, else the standard
/// <c>OTEL_TRACES_SAMPLER</c> / <c>OTEL_TRACES_SAMPLER_ARG</c>, else parent-based always on; always wrapped in
/// <see cref="ParentedHttpClientSampler"/>. The SDK reads those variables only when no sampler is set in code, and one is.
/// </summary>
internal static class TracingSamplers
{
    internal const string SamplerVariable = "OTEL_TRACES_SAMPLER";
    internal const string SamplerArgVariable = "OTEL_TRACES_SAMPLER_ARG";

    internal const string AlwaysOn = "always_on";
    internal const string AlwaysOff = "always_off";
    internal const string TraceIdRatio = "traceidratio";
    internal const string ParentBasedAlwaysOn = "parentbased_always_on";
    internal const string ParentBasedAlwaysOff = "parentbased_always_off";
    internal const string ParentBasedTraceIdRatio = "parentbased_traceidratio";

    /// <summary>Used when nothing names a sampler (the OpenTelemetry default).</summary>
    internal const string Default = ParentBasedAlwaysOn;

    private const string Names = $"'{AlwaysOn}', '{AlwaysOff}', '{TraceIdRatio}', '{ParentBasedAlwaysOn}', '{ParentBasedAlwaysOff}' or '{ParentBasedTraceIdRatio}'";

    /// <summary>
    /// Adds to <paramref name="errors"/> what is wrong with the sampler settings, naming the setting (or variable) given.
    /// The variables are judged only when <paramref name="variables"/> (export on): another program's may be set.
    /// </summary>
    internal static void Validate(TracingOptions options, IConfiguration configuration, bool variables, List<string> errors)
    {
        var (name, nameSource) = Name(options, configuration);
        if (name is not null && (options.Sampler is not null || variables) && !IsKnown(name))
        {
            errors.Add($"{nameSource} = '{name}' must be {Names}.");
        }

        if (options.SamplerArg is { } arg && !InRange(arg))
        {
            errors.Add($"{TracingOptions.SectionName}:SamplerArg = {arg.ToString(CultureInfo.InvariantCulture)} must be a ratio from 0 to 1.");
        }

        if (variables && options.SamplerArg is null && IsRatio(name ?? Default) && NonEmpty(configuration[SamplerArgVariable]) is { } text
            && !(TryParse(text, out var parsed) && InRange(parsed)))
        {
            errors.Add($"{SamplerArgVariable} = '{text}' must be a ratio from 0 to 1.");
        }
    }

    /// <summary>The sampler the settings name (validated at start: an unknown name or ratio never gets here).</summary>
    internal static Sampler Create(TracingOptions options, IConfiguration configuration)
    {
        var name = Name(options, configuration).Name ?? Default;
        var ratio = options.SamplerArg
            ?? (NonEmpty(configuration[SamplerArgVariable]) is { } text && TryParse(text, out var parsed) && InRange(parsed) ? parsed : 1.0);
        Sampler inner = name switch
        {
            AlwaysOn => new AlwaysOnSampler(),
            AlwaysOff => new AlwaysOffSampler(),
            TraceIdRatio => new TraceIdRatioBasedSampler(ratio),
            ParentBasedAlwaysOff => new ParentBasedSampler(new AlwaysOffSampler()),
            ParentBasedTraceIdRatio => new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)),
            _ => new ParentBasedSampler(new AlwaysOnSampler()),
        };
        return new ParentedHttpClientSampler(inner);
    }

    private static (string? Name, string Source) Name(TracingOptions options, IConfiguration configuration) =>
        options.Sampler is { } setting
            ? (setting.Trim(), TracingOptions.SectionName + ":Sampler")
            : (NonEmpty(configuration[SamplerVariable])?.Trim(), SamplerVariable);

    private static bool IsKnown(string name) =>
        name is AlwaysOn or AlwaysOff or TraceIdRatio or ParentBasedAlwaysOn or ParentBasedAlwaysOff or ParentBasedTraceIdRatio;

    private static bool IsRatio(string name) => name is TraceIdRatio or ParentBasedTraceIdRatio;

    private static bool InRange(double ratio) => ratio is >= 0 and <= 1;

    private static bool TryParse(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
