using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Loading;

/// <summary>A checkpoint ready to run: configuration, mapped weights (F32 matrices packed for the kernels when asked) and tokenizer. Disposing unmaps the file.</summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly MappedFile _file;
    private readonly PackedPanels? _panels;

    public LoadedModel(string path, string format, ModelConfig config, TransformerWeights weights, Tokenizer tokenizer, MappedFile file, IReadOnlyList<TensorDescription> tensors, PackedPanels? panels = null)
    {
        Path = path;
        Format = format;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        Tensors = tensors;
        _file = file;
        _panels = panels;
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

    /// <summary>
    /// Whether the weights the kernels stream live on huge pages (<see cref="HugePageMemory"/>): the packed F32
    /// panels, or a copy of a quantized file.
    /// </summary>
    public bool OnHugePages => _file.OnHugePages || _panels is { OnHugePages: true };

    /// <summary>Whether the F32 matrices were packed for the outer-product kernels (<see cref="WeightPacker"/>).</summary>
    public bool Packed => _panels is not null;

    public void Dispose()
    {
        _panels?.Dispose();
        _file.Dispose();
    }
}
