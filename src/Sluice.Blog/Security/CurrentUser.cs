using System.Globalization;
using System.Security.Claims;

namespace Sluice.Blog.Security;

/// <summary>The signed-in user's id and name, as the login put them in the cookie.</summary>
internal static class CurrentUser
{
    public static long? Id(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    public static string? Name(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name : null;
}
