namespace Sluice.Grading.Features;

/// <summary>
/// A prompt's vocabulary profile learned from its training essays: content words much more frequent in this prompt's
/// essays than in the other prompts', with weights. Used for topic-overlap features and off-topic detection.
/// </summary>
internal sealed record PromptProfile(int Prompt, string[] Keywords, float[] Weights)
{
    private readonly Dictionary<string, int> _index = Build(Keywords);

    public bool TryGetIndex(string word, out int index) => _index.TryGetValue(word, out index);

    private static Dictionary<string, int> Build(string[] keywords)
    {
        var d = new Dictionary<string, int>(keywords.Length, StringComparer.Ordinal);
        for (var i = 0; i < keywords.Length; i++)
        {
            d[keywords[i]] = i;
        }

        return d;
    }
}
