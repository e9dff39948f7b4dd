using System.Globalization;

namespace Sluice.Blog.Pages;

/// <summary>The <c>page</c> query parameter: absent is 1; anything but a whole number from 1 to <see cref="Max"/> is refused.</summary>
internal static class PageNumber
{
    public const int Max = 100_000;

    public static bool TryParse(string? value, out int page)
    {
        if (value is null)
        {
            page = 1;
            return true;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out page) && page is >= 1 and <= Max;
    }

    public const string Error = "page must be a whole number from 1 to 100000.";
}
