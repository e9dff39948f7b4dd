namespace Sluice.Server.Hosting;

/// <summary>
/// What a value of a .NET type is, as someone typing a setting or an option writes it: for the messages of the
/// configuration binder ("to type 'System.Int64'") and of the command-line parser ("as expected type 'System.Int32'").
/// </summary>
internal static class TypeInWords
{
    /// <summary>"a whole number" for <c>System.Int64</c> (also <c>System.Nullable`1[System.Int64]</c>), "a Foo" for a type it does not know.</summary>
    public static string Describe(string type)
    {
        var inner = type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) ? type["System.Nullable`1[".Length..^1] : type;
        return inner switch
        {
            "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt64" or "System.Int16" or "System.UInt16" or "System.Byte" => "a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration such as 00:00:02 (hh:mm:ss, or d.hh:mm:ss)",
            "System.Uri" => "a URL",
            _ => "a " + inner[(inner.LastIndexOf('.') + 1)..],
        };
    }
}
