using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Server.Hosting;

/// <summary>Writes health reports as small JSON documents.</summary>
internal static class HealthResponseWriter
{
    public static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("status", report.Status.ToString().ToLowerInvariant());
        w.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            w.WriteStartObject(name);
            w.WriteString("status", entry.Status.ToString().ToLowerInvariant());
            if (entry.Description is not null)
            {
                w.WriteString("description", entry.Description);
            }

            foreach (var (k, v) in entry.Data)
            {
                w.WriteString(k, v?.ToString());
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
