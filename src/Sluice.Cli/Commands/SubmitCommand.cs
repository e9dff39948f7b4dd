using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Core.Jobs;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice submit MODEL INPUT_JSON</c>: posts a job and streams its events to the terminal.</summary>
internal static class SubmitCommand
{
    /// <summary>Answers 429 or 503 in a row after which a GET of the accepted job gives up.</summary>
    private const int MaxRefusals = 6;

    /// <summary>Longest Retry-After honoured between them.</summary>
    private static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(30);

    /// <summary>Compact JSON with the server's relaxed escaping (a terminal, not HTML: '+' stays '+').</summary>
    private static readonly JsonSerializerOptions s_compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var command = new Command("submit", "Submit a job and stream its events until it ends.");
        var model = new Argument<string>("model") { Description = "Model name (see ./sluice models)." };
        // Optional without a DefaultValueFactory: a command's argument default is shown on its line of the root help too
        // ("submit <model> <input>  Submit a job … [default: {}]"), where it reads as the command's default.
        var input = new Argument<string?>("input")
        {
            Description = "The model input as JSON, e.g. '{\"n\": 5}'; '@file.json' reads a file; '-' reads stdin; omitted: {}.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var priority = new Option<string>("--priority") { Description = "high, normal or low.", DefaultValueFactory = _ => "normal" };
        priority.AcceptOnlyFromAmong("high", "normal", "low");
        var deadline = new Option<int?>("--deadline-ms") { Description = "Expire the job if it cannot finish within this many milliseconds." };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the final job (still waits for the job to end)." };
        var client = new ClientOptions();
        command.Arguments.Add(model);
        command.Arguments.Add(input);
        command.Options.Add(priority);
        command.Options.Add(deadline);
        command.Options.Add(quiet);
        client.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var raw = result.GetValue(input) ?? "{}";
            raw = raw == "-" ? await Console.In.ReadToEndAsync(ct) : raw.StartsWith('@') ? await File.ReadAllTextAsync(raw[1..], ct) : raw;
            JsonElement parsed;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                parsed = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new CliUsageException($"input is not valid JSON: {ex.Message}");
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
                await result.InvocationConfiguration.Error.WriteLineAsync($"error {(int)response.StatusCode}: {CliOutput.Describe(response, text)}");
                return 1;
            }

            using var job = CliOutput.ParseAnswer(response, text);
            var id = job.RootElement.ValueKind == JsonValueKind.Object && job.RootElement.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String && idValue.GetString() is { Length: > 0 } accepted
                ? accepted
                : throw CliOutput.NotSluice(response);
            var quietly = result.GetValue(quiet);
            if (!quietly)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"job {id} accepted; streaming events");
            }

            // --quiet reads the stream too, printing nothing: it ends when the job does, so the job fetched below is final.
            if (!await FollowEventsAsync(http, id, result, quietly, ct))
            {
                return 1;
            }

            using var final = await GetPatientlyAsync(http, $"v1/jobs/{Uri.EscapeDataString(id)}", HttpCompletionOption.ResponseContentRead, ct);
            if (await CliOutput.ReadAsync(final, result, ct) is not { } finalText)
            {
                return 1;
            }

            using var finalJob = CliOutput.ParseAnswer(final, finalText);
            return finalJob.RootElement.ValueKind == JsonValueKind.Object && finalJob.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.String && status.GetString() == "succeeded" ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Reads the job's events until the stream ends; false (after an <c>error STATUS: …</c> line) when the server
    /// refuses the stream. Unless <paramref name="quiet"/>, delta text goes to stdout and every other event to stderr
    /// as <c>[type] data</c>, on a line of its own.
    /// </summary>
    private static async Task<bool> FollowEventsAsync(HttpClient http, string id, ParseResult result, bool quiet, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await GetPatientlyAsync(http, $"v1/jobs/{Uri.EscapeDataString(id)}/events", HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            // The job was accepted: the server that just answered went away, it is not "unreachable".
            throw new IOException(StreamLost(id, e.Message), e);
        }

        using var owned = response;
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadAsStringAsync(ct);
            await result.InvocationConfiguration.Error.WriteLineAsync($"error {(int)response.StatusCode}: {CliOutput.Describe(response, problem)} (job {id} was accepted: ./sluice jobs get {id})");
            return false;
        }

        using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        var output = quiet ? null : result.InvocationConfiguration.Output;
        var error = quiet ? null : result.InvocationConfiguration.Error;
        var midLine = false; // delta text printed since the last newline
        string? eventType = null;
        var data = new List<string>(); // the event's data lines, one event's worth (SSE joins them with LF)
        var ended = false; // the job's terminal event arrived
        while (await ReadLineAsync(reader, id, ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line[7..];
                ended = JobEventTypes.IsTerminal(eventType);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
            else if (line.Length == 0)
            {
                // The blank line ends the event: a result written over several lines is still one event, one line here.
                if (output is not null && error is not null && data.Count > 0)
                {
                    if (eventType == "delta")
                    {
                        using var d = JsonDocument.Parse(string.Join('\n', data));
                        await output.WriteAsync(d.RootElement.GetProperty("text").GetString());
                        await output.FlushAsync(ct);
                        midLine = true;
                    }
                    else
                    {
                        if (midLine)
                        {
                            await output.WriteLineAsync();
                            await output.FlushAsync(ct);
                            midLine = false;
                        }

                        await error.WriteLineAsync($"[{eventType}] {OneLine(data)}");
                    }
                }

                data.Clear();
            }
        }

        if (output is not null && midLine)
        {
            await output.WriteLineAsync();
        }

        if (!ended)
        {
            // The server went away (stopped, crashed) while the job goes on there: say so and how to find it.
            throw new IOException(StreamLost(id, "it closed"));
        }

        return true;
    }

    /// <summary>
    /// A GET that waits out a 429 or 503 a few times (its Retry-After, 1 s without one, at most 30 s): the job is
    /// accepted, so a key's rate limit spent by the submit itself, or the store briefly away, must not lose it.
    /// </summary>
    private static async Task<HttpResponseMessage> GetPatientlyAsync(HttpClient http, string path, HttpCompletionOption completion, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await http.GetAsync(path, completion, ct);
            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt == MaxRefusals)
            {
                return response;
            }

            var retryAfter = response.Headers.RetryAfter;
            var wait = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(1));
            response.Dispose();
            await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryWait ? MaxRetryWait : wait, ct);
        }
    }

    /// <summary>An event's data on one line: as sent when it is one line, else its JSON written compactly.</summary>
    private static string OneLine(List<string> data)
    {
        if (data.Count == 1)
        {
            return data[0];
        }

        var joined = string.Join('\n', data);
        try
        {
            using var doc = JsonDocument.Parse(joined);
            return JsonSerializer.Serialize(doc.RootElement, s_compact);
        }
        catch (JsonException)
        {
            return joined.ReplaceLineEndings(" ");
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, string id, CancellationToken ct)
    {
        try
        {
            return await reader.ReadLineAsync(ct);
        }
        catch (IOException e)
        {
            throw new IOException(StreamLost(id, e.Message), e);
        }
    }

    private static string StreamLost(string id, string why) =>
        $"the event stream of job {id} ended before the job did ({why}); the server keeps the job: ./sluice jobs get {id}";
}
