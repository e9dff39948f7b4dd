namespace Sluice.Classification.Training;

/// <summary>
/// Reads <c>sentence&lt;TAB&gt;label</c> lines (the UCI Sentiment Labelled Sentences layout) from one file, or from every
/// <c>*.txt</c> file of a folder in name order. Lines are split on <c>\n</c> only (the imdb file has U+0085 inside
/// sentences, which <see cref="StringReader.ReadLine"/> would not split on but other readers do) and a trailing
/// <c>\r</c> is dropped; blank lines are skipped; any other line without a tab and a label is an error naming it.
/// </summary>
internal static class LabelledTextReader
{
    public const int MaxExamples = 1_000_000;

    /// <summary>Most distinct labels: training keeps five (labels, 2^18) float arrays, 5 MiB per label.</summary>
    public const int MaxLabels = 16;

    public static (List<LabelledText> Examples, string Source) Read(string path) => Read(path, null);

    /// <summary>
    /// As <see cref="Read(string)"/>; with <paramref name="roots"/>, a file of the folder whose symbolic link leads outside
    /// them is refused before it is read (a training job may only read below its roots).
    /// </summary>
    public static (List<LabelledText> Examples, string Source) Read(string path, IReadOnlyList<string>? roots)
    {
        string[] files;
        if (File.Exists(path))
        {
            files = [path];
        }
        else if (Directory.Exists(path))
        {
            try
            {
                files = Directory.GetFiles(path, "*.txt");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TrainingDataException($"training data folder {path} cannot be listed: {ex.Message}", ex);
            }

            Array.Sort(files, StringComparer.Ordinal);
            if (files.Length == 0)
            {
                throw new TrainingDataException($"training data folder {path} has no *.txt files");
            }
        }
        else
        {
            throw new TrainingDataException($"training data {path} does not exist");
        }

        var realRoots = roots is null ? null : RealPath.ResolveAll(roots);
        var examples = new List<LabelledText>();
        foreach (var file in files)
        {
            if (realRoots is not null)
            {
                CheckUnder(file, realRoots);
            }

            ReadFile(file, examples);
        }

        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            labels.Add(e.Label);
        }

        if (labels.Count > MaxLabels)
        {
            throw new TrainingDataException($"training data {path} has {labels.Count} distinct labels; at most {MaxLabels} are supported (is the label the last tab-separated field?)");
        }

        if (labels.Count < 2)
        {
            throw new TrainingDataException($"training data {path} has {examples.Count} examples of {labels.Count} label(s); at least two labels are needed");
        }

        var names = new string[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            names[i] = Path.GetFileName(files[i]);
        }

        return (examples, string.Join(",", names));
    }

    private static void CheckUnder(string file, string[] realRoots)
    {
        bool under;
        try
        {
            under = RealPath.IsUnder(RealPath.Resolve(file), realRoots);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TrainingDataException($"training data {file} cannot be resolved: {ex.Message}", ex);
        }

        if (!under)
        {
            throw new TrainingDataException($"training data {file} is a link outside the training roots; it was not read");
        }
    }

    private static void ReadFile(string file, List<LabelledText> examples)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TrainingDataException($"training data {file} cannot be read: {ex.Message}", ex);
        }

        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.EndsWith('\r') ? raw[..^1] : raw;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var tab = line.LastIndexOf('\t');
            var label = tab < 0 ? "" : line[(tab + 1)..].Trim();
            var sentence = tab < 0 ? "" : line[..tab].Trim();
            if (label.Length == 0 || sentence.Length == 0)
            {
                throw new TrainingDataException($"training data {file} line {lineNumber}: expected 'sentence<TAB>label'");
            }

            if (examples.Count == MaxExamples)
            {
                throw new TrainingDataException($"training data has more than {MaxExamples} examples");
            }

            examples.Add(new LabelledText(sentence, label));
        }
    }
}
