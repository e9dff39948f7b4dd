using Microsoft.Extensions.Options;

namespace Sluice.Classification;

/// <summary>Stops the start on a blank training root: it would resolve to the working folder and admit any file below it.</summary>
internal sealed class ClassificationOptionsValidator : IValidateOptions<ClassificationOptions>
{
    public ValidateOptionsResult Validate(string? name, ClassificationOptions options)
    {
        if (options.TrainingRoots is { } roots)
        {
            for (var i = 0; i < roots.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(roots[i]))
                {
                    return ValidateOptionsResult.Fail($"{ClassificationOptions.SectionName}:TrainingRoots:{i} is blank; give a folder training data may be read from");
                }
            }
        }

        return options.ModelDir is not null && string.IsNullOrWhiteSpace(options.ModelDir)
            ? ValidateOptionsResult.Fail($"{ClassificationOptions.SectionName}:ModelDir is blank")
            : ValidateOptionsResult.Success;
    }
}
