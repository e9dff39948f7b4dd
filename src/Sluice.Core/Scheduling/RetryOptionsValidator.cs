using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Core.Configuration;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Checks <c>Sluice:Retry</c> at start, naming the setting. Unchecked, a negative <c>BaseDelay</c> started a server
/// that retried failed jobs at once ("retrying in -626 ms"), with no backoff at all, and a delay beyond what
/// <c>Task.Delay</c> takes (about 24.8 days) failed the retry when it came.
/// </summary>
internal sealed class RetryOptionsValidator : IValidateOptions<RetryOptions>
{
    private const string Section = "Sluice:Retry";

    public ValidateOptionsResult Validate(string? name, RetryOptions options)
    {
        var errors = new List<string>();
        Check(errors, nameof(options.BaseDelay), options.BaseDelay);
        Check(errors, nameof(options.MaxDelay), options.MaxDelay);
        if (errors.Count == 0 && options.MaxDelay < options.BaseDelay)
        {
            errors.Add($"{Section}:MaxDelay = {Show(options.MaxDelay)} must be at least {Section}:BaseDelay = {Show(options.BaseDelay)}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string setting, TimeSpan value)
    {
        if (value < TimeSpan.Zero || value > WaitLimits.MaxWait)
        {
            errors.Add($"{Section}:{setting} = {Show(value)} must be from 00:00:00 to {Show(WaitLimits.MaxWait)}.");
        }
    }

    private static string Show(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
