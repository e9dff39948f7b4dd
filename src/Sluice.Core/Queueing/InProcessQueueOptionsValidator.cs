using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sluice.Core.Queueing;

/// <summary>
/// Checks <c>Sluice:Queue:Aging</c> at start, naming the setting. Unchecked, a zero or negative value started a
/// server whose lanes were silently clamped to 1 ms of aging, so priorities stopped mattering (all lanes ran first come, first served).
/// </summary>
internal sealed class InProcessQueueOptionsValidator : IValidateOptions<InProcessQueueOptions>
{
    // Only a rank in milliseconds: anything short of an overflow works, a day is already far past any use.
    private static readonly TimeSpan MaxAging = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, InProcessQueueOptions options) =>
        options.Aging > TimeSpan.Zero && options.Aging <= MaxAging
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Sluice:Queue:Aging = {options.Aging.ToString("c", CultureInfo.InvariantCulture)} must be above 00:00:00 and at most {MaxAging.ToString("c", CultureInfo.InvariantCulture)}.");
}
