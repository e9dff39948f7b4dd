using Sluice.Grading.Data;
using Sluice.Grading.Features;
using Sluice.Grading.Text;
using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Features;

public sealed class PromptClassifierTests
{
    private static readonly string[] s_cycling =
    [
        "The cyclist rode down the hot road and ran out of water.",
        "The road was rough and the cyclist was thirsty in the heat.",
        "With no water left, the hills and the heat made the ride hard.",
        "The setting, a desert road, made the cyclist tired and thirsty.",
    ];

    private static readonly string[] s_library =
    [
        "Libraries should not remove offensive books from the shelves.",
        "Censorship of books and music in the library is wrong.",
        "If a book is offensive, parents can choose, not the library.",
        "Removing magazines from library shelves is censorship.",
    ];

    [Fact]
    public void Train_TwoPrompts_UnseenEssayGoesToItsPrompt()
    {
        var model = Train();

        Span<double> p = stackalloc double[2];
        Assert.True(model.TryClassify(Tokenizer.Analyze("The heat and the rough road left the cyclist without water."), p));
        Assert.Equal([2, 3], model.Prompts);
        Assert.True(p[1] > 0.9, $"P(cycling prompt) = {p[1]:0.000}");
        Assert.True(model.TryClassify(Tokenizer.Analyze("Offensive books belong on library shelves."), p));
        Assert.True(p[0] > 0.9, $"P(library prompt) = {p[0]:0.000}");
    }

    [Fact]
    public void Train_SameEssays_SameWeights()
    {
        Assert.Equal(Train().Weights, Train().Weights);
    }

    [Fact]
    public void TryClassify_NoInputWord_ReturnsFalse()
    {
        Span<double> p = stackalloc double[2];

        Assert.False(Train().TryClassify(Tokenizer.Analyze("It was what it was, and so it is."), p));
    }

    private static PromptClassifier Train()
    {
        var byPrompt = new Dictionary<int, List<PreparedEssay>>
        {
            [2] = [.. s_library.Select((t, i) => Prepared(i, 2, t))],
            [3] = [.. s_cycling.Select((t, i) => Prepared(100 + i, 3, t))],
        };
        var profiles = new Dictionary<int, PromptProfile>
        {
            [2] = new(2, ["library", "books", "offensive", "censorship", "shelves"], [1, 1, 1, 1, 1]),
            [3] = new(3, ["cyclist", "road", "water", "heat", "thirsty"], [1, 1, 1, 1, 1]),
        };
        return PromptClassifierTrainer.Train(byPrompt, profiles, new TrainingOptions { ClassifierIterations = 200 });
    }

    private static PreparedEssay Prepared(int id, int prompt, string text)
    {
        var doc = Tokenizer.Analyze(text);
        return new(new AsapEssay(id, prompt, text, 1, null), doc, doc, [], []);
    }
}
