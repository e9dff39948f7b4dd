using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice submit MODEL INPUT_JSON</c>: posts a job and streams its events to the terminal.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var command = new Command("submit", "Submit a job and stream its events until it ends.");
        var model = new Argument<string>("model") { Description = "Model name (see ./sluice models)." };
        var input = new Argument<string>("input") { Description = "The model input as JSON, e.g. '{\"n\": 5}'; '@file.json' reads a file; '-' reads stdin.", DefaultValueFactory = _ => "{}" };
        var priority = new Option<string>("--priority") { Description = "high, normal or low.", DefaultValueFactory = _ => "normal" };
        var deadline = new Option<int?>("--deadline-ms") { Description = "Expire the job if it cannot finish within this many milliseconds." };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the final job." };
        var client = new ClientOptions();
        command.Arguments.Add(model);
        command.Arguments.Add(input);
        command.Options.Add(priority);
        command.Options.Add(deadline);
        command.Options.Add(quiet);
        client.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var raw = result.GetValue(input)!;
            raw = raw == "-" ? await Console.In.ReadToEndAsync(ct) : raw.StartsWith('@') ? await File.ReadAllTextAsync(raw[1..], ct) : raw;
            JsonElement parsed;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                parsed = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                Console.Error.WriteLine($"error: input is not valid JSON: {ex.Message}");
                return 2;
            }

            using var http = client.CreateClient(result);
            var body = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["model"] = result.GetValue(model),
                ["input"] = parsed,
                ["priority"] = result.GetValue(priority),
                ["deadline_ms"] = result.GetValue(deadline),
            });
            body = body.Replace(",\"deadline_ms\":null", "", StringComparison.Ordinal);
            using var response = await http.PostAsync("v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"error {(int)response.StatusCode}: {CliOutput.Describe(text)}");
                return 1;
            }

            using var job = JsonDocument.Parse(text);
            var id = job.RootElement.GetProperty("id").GetString()!;
            if (!result.GetValue(quiet))
            {
                Console.Error.WriteLine($"job {id} accepted; streaming events");
                using var stream = await http.GetStreamAsync($"v1/jobs/{id}/events", ct);
                using var reader = new StreamReader(stream);
                string? eventType = null;
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        eventType = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        if (eventType == "delta")
                        {
                            using var d = JsonDocument.Parse(line[6..]);
                            Console.Write(d.RootElement.GetProperty("text").GetString());
                        }
                        else
                        {
                            Console.Error.WriteLine($"[{eventType}] {line[6..]}");
                        }
                    }
                }

                Console.WriteLine();
            }

            using var final = await http.GetAsync($"v1/jobs/{id}", ct);
            return await CliOutput.PrintAsync(final, ct) == 0 && JsonDocument.Parse(await final.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("status").GetString() == "succeeded" ? 0 : 1;
        });
        return command;
    }
}
