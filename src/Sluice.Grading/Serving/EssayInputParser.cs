using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Grading.Serving;

/// <summary>Validates <c>{ "prompt_id": 1..8 | null, "prompt_text": string?, "text": string }</c>; never throws.</summary>
internal static class EssayInputParser
{
    /// <summary>The input's fields, as the unknown-field error lists them (an endpoint adding its own extends the list).</summary>
    public const string Fields = "text, prompt_id, prompt_text";

    public static bool TryParse(JsonElement input, GradingOptions options, out EssayInput? parsed, out InputError error)
    {
        parsed = null;
        error = default;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", "input must be a JSON object { \"text\": string, \"prompt_id\": 1..8 | null, \"prompt_text\": string | null }");
            return false;
        }

        string? text = null;
        int? promptId = null;
        string? promptText = null;
        var hasText = false;
        foreach (var p in input.EnumerateObject())
        {
            switch (p.Name)
            {
                case "text":
                    if (p.Value.ValueKind != JsonValueKind.String)
                    {
                        error = new InputError("input.text", $"text must be a string, not {Describe(p.Value.ValueKind)}");
                        return false;
                    }

                    text = p.Value.GetString();
                    hasText = true;
                    break;
                case "prompt_id":
                    if (p.Value.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (!JsonInteger.TryGetInt32(p.Value, out var id))
                    {
                        error = new InputError("input.prompt_id", "prompt_id must be an integer from 1 to 8, or null for prompt-independent grading");
                        return false;
                    }

                    if (id is < 1 or > 8)
                    {
                        error = new InputError("input.prompt_id", $"prompt_id {id} is out of range: the grader knows ASAP prompts 1 to 8 (use null for prompt-independent grading)");
                        return false;
                    }

                    promptId = id;
                    break;
                case "prompt_text":
                    if (p.Value.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (p.Value.ValueKind != JsonValueKind.String)
                    {
                        error = new InputError("input.prompt_text", $"prompt_text must be a string or null, not {Describe(p.Value.ValueKind)}");
                        return false;
                    }

                    promptText = p.Value.GetString();
                    if (promptText!.Length > options.MaxPromptTextChars)
                    {
                        error = new InputError("input.prompt_text", $"prompt_text is {promptText.Length:N0} characters; the limit is {options.MaxPromptTextChars:N0}");
                        return false;
                    }

                    break;
                default:
                    var shown = ClientText.Echo(p.Name);
                    error = new InputError($"input.{shown}", $"unknown field \"{shown}\"; expected {Fields}");
                    return false;
            }
        }

        if (!hasText || text is null)
        {
            error = new InputError("input.text", "text is required: the essay to grade");
            return false;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            error = new InputError("input.text", text.Length == 0 ? "text is empty" : "text contains only whitespace");
            return false;
        }

        // A cheap length bound comes first, so a huge body is refused without a scan: 40 characters a word is far
        // above any real essay's average (about 5), so no essay within the word limit meets it.
        var maxChars = options.MaxWords * 40L;
        if (text.Length > maxChars)
        {
            error = new InputError("input.text", $"text is {text.Length:N0} characters long; at most {maxChars:N0} are accepted (40 per word of the {options.MaxWords:N0}-word limit); split it or shorten it");
            return false;
        }

        var words = EssayGrader.CountWords(text);
        if (words > options.MaxWords)
        {
            error = new InputError("input.text", $"text has {words:N0} words (counted as runs of characters between spaces); at most {options.MaxWords:N0} are accepted; split it or shorten it");
            return false;
        }

        parsed = new EssayInput(text, promptId, string.IsNullOrWhiteSpace(promptText) ? null : promptText);
        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
