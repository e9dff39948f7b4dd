using Sluice.Engine.Cli;
using Sluice.Engine.Loading;

namespace Sluice.Benchmarks.Engine;

/// <summary>
/// Synthetic checkpoints at the real 15M / 110M shapes (random weights; real checkpoints of these sizes are not
/// available offline), written once to the temp folder and reused across benchmark processes.
/// </summary>
internal static class SyntheticModels
{
    public static string Path(string shape, string type)
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sluice-bench", $"synthetic-{shape.ToLowerInvariant()}-{type.ToLowerInvariant()}.gguf");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            var temp = file + ".tmp";
            ModelSynthesizer.WriteGguf(temp, ModelSynthesizer.Shape(shape), Enum.Parse<TensorType>(type, ignoreCase: true), null, 42);
            File.Move(temp, file, overwrite: true);
        }

        return file;
    }
}
