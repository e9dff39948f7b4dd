using System.CommandLine;
using System.Text.Json;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice models</c>: the server's models with state and queue depth.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the models of a running server.");
        var json = new Option<bool>("--json") { Description = "Print the raw JSON." };
        var client = new ClientOptions();
        command.Options.Add(json);
        client.AddTo(command);
        command.SetAction(async (r, ct) =>
        {
            using var http = client.CreateClient(r);
            using var response = await http.GetAsync("v1/models", ct);
            if (r.GetValue(json) || !response.IsSuccessStatusCode)
            {
                return await CliOutput.PrintAsync(response, r, ct);
            }

            using var doc = CliOutput.ParseAnswer(response, await response.Content.ReadAsStringAsync(ct));
            var output = r.InvocationConfiguration.Output;
            await output.WriteLineAsync($"{"MODEL",-28} {"KIND",-11} {"STATE",-8} {"VERSION",-14} {"QUEUED",7} {"RUNNING",8}");
            try
            {
                foreach (var m in doc.RootElement.GetProperty("data").EnumerateArray())
                {
                    var q = m.GetProperty("queue");
                    var version = m.GetProperty("version").GetString() ?? "";
                    await output.WriteLineAsync($"{m.GetProperty("id").GetString(),-28} {m.GetProperty("kind").GetString(),-11} {m.GetProperty("state").GetString(),-8} {(version.Length > 14 ? version[..14] : version),-14} {q.GetProperty("total").GetInt32(),7} {q.GetProperty("in_flight").GetInt32(),8}");
                }
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // JSON, but not a model list (another JSON service at --url).
                throw CliOutput.NotSluice(response);
            }

            return 0;
        });
        return command;
    }
}
