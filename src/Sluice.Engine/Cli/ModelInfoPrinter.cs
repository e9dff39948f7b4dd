using System.Globalization;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Cli;

/// <summary>What <c>./sluice model info</c> prints: format, configuration, tensors and parameter count.</summary>
internal static class ModelInfoPrinter
{
    public static void Print(LoadedModel model, TextWriter output)
    {
        var c = model.Config;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"file:        {model.Path} ({model.FileBytes:N0} bytes)"));
        output.WriteLine(string.Create(inv, $"format:      {model.Format}"));
        output.WriteLine(string.Create(inv, $"config:      {c}"));
        output.WriteLine(string.Create(inv, $"head size:   {c.HeadSize}, kv dim {c.KvDim}{(c.KvHeads < c.Heads ? $" (grouped-query attention, {c.KvMul} query heads per kv head)" : "")}"));
        output.WriteLine(string.Create(inv, $"tokenizer:   {model.Tokenizer.VocabSize} tokens, longest piece {model.Tokenizer.MaxTokenLength} bytes"));
        output.WriteLine(string.Create(inv, $"kv cache:    {c.KvBytesPerToken:N0} bytes per token, {c.KvBytesPerToken * c.SeqLen / 1048576.0:F1} MiB per full-context sequence"));
        output.WriteLine(string.Create(inv, $"tensors:     {model.Tensors.Count}"));
        output.WriteLine(string.Create(inv, $"  {"name",-32} {"shape",-16} {"type",-5} {"byte offset",12}  {"elements",12}"));
        long total = 0;
        foreach (var t in model.Tensors)
        {
            total += t.Elements;
            output.WriteLine(string.Create(inv, $"  {t.Name,-32} {("[" + string.Join(", ", t.Shape) + "]"),-16} {t.Type,-5} {t.Offset,12}  {t.Elements,12:N0}"));
        }

        output.WriteLine(string.Create(inv, $"parameters:  {c.ParameterCount:N0} ({c.ParameterCount / 1e6:F2}M; {total:N0} values stored)"));
    }
}
