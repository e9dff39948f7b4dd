using System.Text.Json;
using Sluice.Classification.Training;
using Sluice.Core.Models;

namespace Sluice.Classification.Serving;

/// <summary>
/// Validates a training job's input <c>{ "model_type": "text-classifier", "data_path": string, "epochs": 1..200,
/// "target": string?, "task_id": string? }</c>; <c>data_path</c> must resolve under a training root, symbolic links
/// followed. Never throws.
/// </summary>
internal static class TrainingInputParser
{
    public const string ModelType = "text-classifier";

    private const string Fields = "model_type, data_path, epochs, target, task_id";

    public static bool TryParse(JsonElement input, ClassificationOptions options, IReadOnlyList<string> roots, out TrainingInput? parsed, out InputError error)
    {
        parsed = null;
        error = default;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = new InputError("input", "input must be a JSON object { \"model_type\": \"text-classifier\", \"data_path\": string, \"epochs\": integer }");
            return false;
        }

        string? modelType = null;
        string? dataPath = null;
        int? epochs = null;
        string? target = null;
        string? taskId = null;
        foreach (var p in input.EnumerateObject())
        {
            switch (p.Name)
            {
                case "model_type":
                    modelType = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    if (modelType != ModelType)
                    {
                        error = new InputError("input.model_type", $"model_type must be \"{ModelType}\" (the only trainer this server has)");
                        return false;
                    }

                    break;
                case "data_path":
                    if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                    {
                        error = new InputError("input.data_path", "data_path must be a non-empty string: a file or folder of 'sentence<TAB>label' lines");
                        return false;
                    }

                    dataPath = p.Value.GetString();
                    break;
                case "epochs":
                    if (!JsonInteger.TryGetInt32(p.Value, out var e) || e is < 1 or > TrainingSettings.MaxEpochs)
                    {
                        error = new InputError("input.epochs", $"epochs must be an integer from 1 to {TrainingSettings.MaxEpochs}");
                        return false;
                    }

                    epochs = e;
                    break;
                case "target":
                    if (p.Value.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    target = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    if (target != options.ModelName)
                    {
                        error = new InputError("input.target", $"target must name the served classifier, \"{options.ModelName}\"");
                        return false;
                    }

                    break;
                case "task_id":
                    if (p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        error = new InputError("input.task_id", "task_id must be a string (it is echoed in the result)");
                        return false;
                    }

                    taskId = p.Value.GetString();
                    break;
                default:
                    var shown = ClientText.Echo(p.Name);
                    error = new InputError("input." + shown, $"unknown field '{shown}'; a training job takes: {Fields}");
                    return false;
            }
        }

        if (modelType is null)
        {
            error = new InputError("input.model_type", $"model_type is required: \"{ModelType}\"");
            return false;
        }

        if (dataPath is null)
        {
            error = new InputError("input.data_path", "data_path is required: a file or folder of 'sentence<TAB>label' lines");
            return false;
        }

        if (epochs is null)
        {
            error = new InputError("input.epochs", $"epochs is required: an integer from 1 to {TrainingSettings.MaxEpochs}");
            return false;
        }

        if (!TryResolve(dataPath, roots, out var full))
        {
            // Roots relative to the working folder: the form a client passes as data_path, without the server's layout.
            error = new InputError("input.data_path", $"data_path '{dataPath}' is outside the training roots ({string.Join(", ", DisplayRoots(roots))}); see Sluice:Classification:TrainingRoots");
            return false;
        }

        parsed = new TrainingInput(modelType, full, epochs.Value, options.ModelName, taskId);
        return true;
    }

    /// <summary>
    /// The physical full path of <paramref name="path"/> when it is one of <paramref name="roots"/> or below one once
    /// relative paths, <c>..</c> and every symbolic link along it are resolved (a link below a root that leads outside
    /// the roots is refused, as is a <c>..</c> after one).
    /// </summary>
    public static bool TryResolve(string path, IReadOnlyList<string> roots, out string full)
    {
        full = "";
        try
        {
            full = RealPath.Resolve(path);
            return RealPath.IsUnder(full, RealPath.ResolveAll(roots));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The roots as an API client may see them: relative to the server's working folder.</summary>
    public static string[] DisplayRoots(IReadOnlyList<string> roots)
    {
        var cwd = Directory.GetCurrentDirectory();
        var shown = new string[roots.Count];
        for (var i = 0; i < shown.Length; i++)
        {
            shown[i] = Path.GetRelativePath(cwd, roots[i]);
        }

        return shown;
    }
}
