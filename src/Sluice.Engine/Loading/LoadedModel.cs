using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Loading;

/// <summary>A checkpoint ready to run: configuration, mapped weights and tokenizer. Disposing unmaps the file.</summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly MappedFile _file;

    public LoadedModel(string path, string format, ModelConfig config, TransformerWeights weights, Tokenizer tokenizer, MappedFile file, IReadOnlyList<TensorDescription> tensors)
    {
        Path = path;
        Format = format;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        Tensors = tensors;
        _file = file;
    }

    /// <summary>Full path of the checkpoint.</summary>
    public string Path { get; }

    /// <summary>"llama2.c" or "gguf v3 (q8_0)" and the like.</summary>
    public string Format { get; }

    public ModelConfig Config { get; }

    public TransformerWeights Weights { get; }

    public Tokenizer Tokenizer { get; }

    /// <summary>Every tensor of the file in file order (for <c>model info</c>).</summary>
    public IReadOnlyList<TensorDescription> Tensors { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileBytes => _file.Length;

    /// <summary>Whether the weights were copied into huge pages (<see cref="HugePageMemory"/>) rather than mapped.</summary>
    public bool OnHugePages => _file.OnHugePages;

    public void Dispose() => _file.Dispose();
}
