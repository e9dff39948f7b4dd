namespace Sluice.Server.Http;

/// <summary>A boolean query parameter (<c>cancel_on_disconnect</c>), read the one way the API documents it.</summary>
internal static class QueryFlag
{
    /// <summary>
    /// <c>true</c> or <c>false</c>, in any case (Python's <c>str(True)</c> is <c>True</c>); false for anything else.
    /// Not <see cref="bool.TryParse(string, out bool)"/>, which also takes them padded with spaces.
    /// </summary>
    public static bool TryParse(string value, out bool flag)
    {
        flag = value.Equals("true", StringComparison.OrdinalIgnoreCase);
        return flag || value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }
}
