namespace Sluice.Core.Models;

/// <summary>Why a job input was refused: the JSON path of the field at fault and a sentence for the client.</summary>
/// <param name="Field">JSON path such as <c>input.text</c> or <c>input.max_tokens</c>.</param>
/// <param name="Message">What is wrong and what is expected.</param>
public readonly record struct InputError(string Field, string Message);
