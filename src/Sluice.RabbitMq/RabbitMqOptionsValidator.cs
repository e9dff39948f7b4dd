using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sluice.RabbitMq;

/// <summary>
/// Checks the durations of <c>Sluice:Queue</c> at start, naming the setting. Unchecked, a zero or negative
/// <c>ConfirmTimeout</c> started a gateway that reported ready and answered every submit 503 ("the queue is
/// unavailable") with the broker healthy; a zero <c>RepublishAfter</c> let the sweep publish every job again at once
/// (run twice), and a negative wait made the background loop that uses it fail.
/// </summary>
internal sealed class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>
{
    private const string Section = "Sluice:Queue";

    // Task.Delay and CancelAfter refuse longer waits, and RabbitMQ a longer x-message-ttl; nothing here needs more.
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(24);

    public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        var errors = new List<string>();
        Positive(errors, nameof(options.ConfirmTimeout), options.ConfirmTimeout);
        Positive(errors, nameof(options.DepthPollInterval), options.DepthPollInterval);
        Positive(errors, nameof(options.DeadLetterRetention), options.DeadLetterRetention);
        Positive(errors, nameof(options.RepublishAfter), options.RepublishAfter);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > MaxWait)
        {
            errors.Add($"{Section}:{setting} = {Show(value)} must be above 00:00:00 and at most {Show(MaxWait)}.");
        }
    }

    private static string Show(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
