using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Core.Configuration;

namespace Sluice.RabbitMq;

/// <summary>
/// Checks the durations of <c>Sluice:Queue</c> at start, naming the setting. Unchecked, a zero or negative
/// <c>ConfirmTimeout</c> started a gateway that reported ready and answered every submit 503 ("the queue is
/// unavailable") with the broker healthy; a zero <c>RepublishAfter</c> let the sweep publish every job again at once
/// (run twice), and a negative wait made the background loop that uses it fail. <c>RunningDeadlineGrace</c> is held to
/// the same rule only: a grace shorter than a live worker needs to store its own outcome is not unsafe (the job ends
/// <c>expired</c> either way, once, as the store decides), it just lets the gateway's wording of the error win.
/// </summary>
internal sealed class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>
{
    // A queue's x-message-ttl: RabbitMQ takes at most 2^32 - 1 ms (about 49.7 days).
    private static readonly TimeSpan MaxTtl = TimeSpan.FromMilliseconds(uint.MaxValue);

    // Only subtracted from the clock: anything short of an overflow works, a year is already far past any use.
    private static readonly TimeSpan MaxAge = TimeSpan.FromDays(365);

    public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        var errors = new List<string>();
        Check(errors, nameof(options.ConfirmTimeout), options.ConfirmTimeout, WaitLimits.MaxWait);
        Check(errors, nameof(options.DepthPollInterval), options.DepthPollInterval, WaitLimits.MaxWait);
        Check(errors, nameof(options.StartTimeout), options.StartTimeout, WaitLimits.MaxWait);
        Check(errors, nameof(options.DeadLetterRetention), options.DeadLetterRetention, MaxTtl);
        Check(errors, nameof(options.RepublishAfter), options.RepublishAfter, MaxAge);
        Check(errors, nameof(options.RunningDeadlineGrace), options.RunningDeadlineGrace, WaitLimits.MaxWait);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string setting, TimeSpan value, TimeSpan max)
    {
        if (value <= TimeSpan.Zero || value > max)
        {
            errors.Add($"{RabbitMqOptions.SectionName}:{setting} = {Show(value)} must be above 00:00:00 and at most {Show(max)}.");
        }
    }

    private static string Show(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
