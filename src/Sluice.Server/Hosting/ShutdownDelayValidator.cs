using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Server.Http;

namespace Sluice.Server.Hosting;

/// <summary>
/// Refuses a <see cref="HttpOptions.ShutdownDelaySeconds"/> that leaves no drain: the delay counts against the host's
/// <c>ShutdownTimeout</c>, and one as long as it cut the delay short and then closed the listeners with no time left, so
/// every request in flight (a <c>Prefer: wait</c>, a synchronous inference, an OpenAI call) was cut off at once.
/// </summary>
internal sealed class ShutdownDelayValidator(IOptions<HostOptions> host) : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var timeout = host.Value.ShutdownTimeout;
        return options.ShutdownDelaySeconds == 0 || TimeSpan.FromSeconds(options.ShutdownDelaySeconds) < timeout
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"Sluice:Http:ShutdownDelaySeconds = {options.ShutdownDelaySeconds} must be less than the host's ShutdownTimeout ({timeout.TotalSeconds:0.###} s, setting shutdownTimeoutSeconds), which it counts against: requests in flight would have no time to drain"));
    }
}
