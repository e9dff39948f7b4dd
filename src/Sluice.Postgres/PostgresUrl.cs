using System.Globalization;
using Npgsql;

namespace Sluice.Postgres;

/// <summary>Turns <c>postgres://user:pass@host:port/db?k=v</c> (or a plain Npgsql connection string) into connection settings.</summary>
internal static class PostgresUrl
{
    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        if (!url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            // Already a connection string (Host=…;Username=…).
            return new NpgsqlConnectionStringBuilder(url);
        }

        var uri = new Uri(url);
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            b[Uri.UnescapeDataString(kv[0])] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "true";
        }

        return b;
    }

    /// <summary>The URL with its password hidden, for logs.</summary>
    public static string Redact(string url)
    {
        var b = Parse(url);
        return string.Create(CultureInfo.InvariantCulture, $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}");
    }
}
