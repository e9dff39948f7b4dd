using System.Globalization;

namespace Sluice.Grading.Data;

/// <summary>Loads ASAP essays, trait scores and the standard 5-fold split from the shared data folder.</summary>
internal sealed class AsapDataset
{
    private readonly string _root;

    /// <param name="root">The <c>data/asap</c> folder.</param>
    public AsapDataset(string root)
    {
        if (!Directory.Exists(Path.Combine(root, "essays")))
        {
            throw new DirectoryNotFoundException($"ASAP data not found at {root} (expected essays/, folds/, traits/)");
        }

        _root = root;
    }

    /// <summary>Every essay of <paramref name="prompt"/> with its holistic score and traits (where present).</summary>
    public IReadOnlyList<AsapEssay> LoadPrompt(int prompt)
    {
        var traits = prompt <= 6 ? LoadAsapPlusPlusTraits(prompt) : null;
        var scale = PromptScale.Get(prompt);
        var essays = new List<AsapEssay>();
        var first = true;
        foreach (var row in TsvReader.ReadRows(Path.Combine(_root, "essays", $"prompt{prompt}.tsv")))
        {
            if (first)
            {
                first = false;
                continue;
            }

            if (row.Length < 7 || !int.TryParse(row[0], CultureInfo.InvariantCulture, out var id) || !int.TryParse(row[6], CultureInfo.InvariantCulture, out var score))
            {
                continue;
            }

            int[]? t = null;
            if (traits is not null)
            {
                traits.TryGetValue(id, out t);
            }
            else if (row.Length >= 22)
            {
                // Prompts 7-8: rater1_trait{k} (column 10+k-1) plus rater2_trait{k} (column 16+k-1).
                t = new int[scale.Traits.Count];
                for (var k = 0; k < t.Length; k++)
                {
                    if (!int.TryParse(row[10 + k], CultureInfo.InvariantCulture, out var a) || !int.TryParse(row[16 + k], CultureInfo.InvariantCulture, out var b))
                    {
                        t = null;
                        break;
                    }

                    t[k] = a + b;
                }
            }

            essays.Add(new AsapEssay(id, prompt, row[2], score, t));
        }

        return essays;
    }

    /// <summary>Ids of the <paramref name="part"/> ("train", "dev", "test") split of fold <paramref name="fold"/>.</summary>
    public HashSet<int> LoadFold(int fold, string part)
    {
        var path = Path.Combine(_root, "folds", $"fold_{fold}", $"{part}_ids.txt");
        var ids = new HashSet<int>();
        foreach (var line in File.ReadLines(path))
        {
            if (int.TryParse(line.Trim(), CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private Dictionary<int, int[]> LoadAsapPlusPlusTraits(int prompt)
    {
        var count = PromptScale.Get(prompt).Traits.Count;
        var result = new Dictionary<int, int[]>();
        foreach (var part in new[] { "train", "dev", "test" })
        {
            var path = Path.Combine(_root, "traits", $"prompt{prompt}", $"{part}.tsv");
            if (!File.Exists(path))
            {
                continue;
            }

            var first = true;
            foreach (var row in TsvReader.ReadRows(path))
            {
                if (first)
                {
                    // The header repeats earlier prompts' names, so columns are read by position.
                    first = false;
                    continue;
                }

                if (row.Length < 4 + count || !int.TryParse(row[0], CultureInfo.InvariantCulture, out var id))
                {
                    continue;
                }

                var t = new int[count];
                var ok = true;
                for (var k = 0; k < count && ok; k++)
                {
                    ok = double.TryParse(row[4 + k], NumberStyles.Float, CultureInfo.InvariantCulture, out var v);
                    t[k] = (int)Math.Round(v);
                }

                if (ok)
                {
                    result[id] = t;
                }
            }
        }

        return result;
    }
}
