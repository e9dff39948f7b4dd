using Sluice.Grading.Scoring;
using Sluice.Grading.Spelling;

namespace Sluice.Grading;

/// <summary>Builds an <see cref="EssayGrader"/> from options: dictionaries from their Debian paths, model from file or embedded.</summary>
internal static class GraderFactory
{
    public static EssayGrader Create(GradingOptions? options = null)
    {
        options ??= new GradingOptions();
        var model = LoadModel(options.ModelPath);
        var dictionary = SpellDictionary.Load(options.WordListPath, options.HunspellPath);
        return new EssayGrader(model, new EssayAnalyzer(new SpellChecker(dictionary)));
    }

    public static GradingModel LoadModel(string? path)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            return File.Exists(path) ? ModelStore.Load(path)
                : Directory.Exists(path) ? throw new IOException($"{path} is a directory, not a grading model file")
                : throw new FileNotFoundException($"grading model file not found: {path}", path);
        }

        return ModelStore.LoadEmbedded()
            ?? throw new FileNotFoundException("no grading model: this build has no embedded model (run ./sluice grader train) and Sluice:Grading:ModelPath is not set");
    }
}
