using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Classification.Serving;

/// <summary>Validates <c>{ "text": string }</c> (non-blank, at most MaxTextChars); never throws.</summary>
internal static class ClassifierInputParser
{
    public static bool TryParse(JsonElement input, int maxChars, out ClassifierInput? parsed, out InputError error)
    {
        parsed = null;
        error = default;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", "input must be a JSON object { \"text\": string }");
            return false;
        }

        string? text = null;
        foreach (var p in input.EnumerateObject())
        {
            if (p.Name != "text")
            {
                var shown = ClientText.Echo(p.Name);
                error = new InputError("input." + shown, $"unknown field '{shown}'; the classifier takes: text");
                return false;
            }

            if (p.Value.ValueKind != JsonValueKind.String)
            {
                error = new InputError("input.text", $"text must be a string, not {p.Value.ValueKind.ToString().ToLowerInvariant()}");
                return false;
            }

            text = p.Value.GetString();
        }

        if (text is null)
        {
            error = new InputError("input.text", "text is required: the sentence to classify");
            return false;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            error = new InputError("input.text", "text is empty; give the sentence to classify");
            return false;
        }

        if (text.Length > maxChars)
        {
            error = new InputError("input.text", $"text has {text.Length} characters; at most {maxChars} are accepted");
            return false;
        }

        parsed = new ClassifierInput(text);
        return true;
    }
}
