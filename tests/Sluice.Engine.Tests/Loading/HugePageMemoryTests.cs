using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Loading;

public sealed unsafe class HugePageMemoryTests
{
    [Fact]
    public void Open_HugePagesRequested_SameBytesAsTheFileOnHugePagesWhereAvailable()
    {
        // Just over two huge pages, so the copy spans several and ends in a partial one.
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("weights.bin");
        var bytes = new byte[(5 * 1024 * 1024) + 123];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        using var mapped = MappedFile.Open(path);
        using var copied = MappedFile.Open(path, hugePages: true);

        Assert.False(mapped.OnHugePages);
        Assert.Equal(HugePageMemory.IsAvailable(), copied.OnHugePages);
        Assert.Equal(bytes.Length, copied.Length);
        Assert.True(new ReadOnlySpan<byte>(copied.Pointer, bytes.Length).SequenceEqual(bytes));
        Assert.True(new ReadOnlySpan<byte>(mapped.Pointer, bytes.Length).SequenceEqual(bytes));
    }

    [Fact]
    public void Dispose_HugePageCopy_PointerRefusedAfterwards()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("weights.bin");
        File.WriteAllBytes(path, new byte[4096]);
        var file = MappedFile.Open(path, hugePages: true);

        file.Dispose();
        file.Dispose(); // twice is harmless

        Assert.Throws<ObjectDisposedException>(() => (nint)file.Pointer);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Load_HugePages_GreedyTokensMatchTheGoldenFile()
    {
        using var model = ModelLoader.Load(SharedDataFactAttribute.RequirePath(TestModels.Bin), SharedDataFactAttribute.RequirePath(TestModels.Tokenizer), hugePages: true);
        var runner = new GenerateRunner(model, 2);

        Assert.Equal(HugePageMemory.IsAvailable(), model.OnHugePages);
        foreach (var golden in TestModels.ReadGolden())
        {
            Assert.Equal(golden.Tokens, runner.Run(golden.Prompt, 0f, 0.9f, golden.Steps, 1, true, new StringWriter(), new StringWriter()));
        }
    }
}
