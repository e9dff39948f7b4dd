using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sluice.Classification;
using Sluice.Classification.Model;
using Sluice.Classification.Training;
using Sluice.Core.Paths;

namespace Sluice.Cli.Commands;

/// <summary>
/// <c>./sluice classifier train</c>: trains the text classifier with the trainer the <c>train</c> jobs use, and writes
/// the file a server's classifier loads (and picks up while running).
/// </summary>
internal static class ClassifierCommand
{
    public static Command Create()
    {
        var cmd = new Command("classifier", "Train the built-in text classifier (docs/classification.md).");
        cmd.Subcommands.Add(Train());
        return cmd;
    }

    private static Command Train()
    {
        var data = new Option<string?>("--data") { Description = "File or folder of 'sentence<TAB>label' lines (default: ../shared/data/sentiment)" };
        var epochs = new Option<int?>("--epochs") { Description = $"Passes over the training examples, 1 to {TrainingSettings.MaxEpochs} (default 10)" };
        var output = new Option<string?>("--output") { Description = "Classifier file to write (default: ./data/classifier/text-classifier.clf, where the server loads it)" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the held-out split and the shuffles (default 42, as the server's)" };
        var cmd = new Command("train", "Train on the data (a seeded 80 %, measuring on the other 20 %) and write the classifier file atomically.");
        cmd.Options.Add(data);
        cmd.Options.Add(epochs);
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.SetAction((ParseResult r, CancellationToken ct) =>
        {
            var e = r.GetValue(epochs) ?? 10;
            if (e is < 1 or > TrainingSettings.MaxEpochs)
            {
                throw new CliUsageException($"--epochs must be 1 to {TrainingSettings.MaxEpochs} (got {e})");
            }

            var path = r.GetValue(data) ?? SharedData.TryGetPath(Path.Combine("data", "sentiment"))
                ?? throw new CliUsageException("no --data given and ../shared/data/sentiment was not found (set SLUICE_SHARED or pass --data)");
            var options = new ClassificationOptions();
            var settings = new TrainingSettings { Epochs = e, Seed = r.GetValue(seed) ?? options.Seed };
            var target = r.GetValue(output) is { } o ? Path.GetFullPath(o) : options.ArtifactPath;
            var error = r.InvocationConfiguration.Error;
            var sw = Stopwatch.StartNew();
            List<LabelledText> examples;
            string source;
            try
            {
                (examples, source) = LabelledTextReader.Read(path);
            }
            catch (TrainingDataException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var result = ClassifierTrainer.Train(examples, source, settings, report => error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {report.Epoch}/{report.Epochs}: loss {report.Loss:0.0000}, held-out accuracy {report.Accuracy:P1}")), ct);
            ClassifierFile.Write(target, result.Model);
            r.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {target} (version {result.Model.Version}) in {sw.Elapsed.TotalSeconds:0.0} s: {result.TrainExamples} training / {result.TestExamples} held-out examples, held-out accuracy {result.Accuracy:P1}"));
            return Task.FromResult(0);
        });
        return cmd;
    }
}
