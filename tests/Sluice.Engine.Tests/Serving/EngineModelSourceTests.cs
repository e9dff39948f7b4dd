using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Engine.Serving;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Serving;

public sealed class EngineModelSourceTests
{
    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer, TestModels.Gguf)]
    public async Task Discover_FolderWithCheckpointTokenizerAndGguf_OffersBothModelsNotTheTokenizer()
    {
        using var dir = TestModels.CreateTempDirectory();
        foreach (var f in new[] { TestModels.Bin, TestModels.Tokenizer, TestModels.Gguf })
        {
            File.Copy(SharedDataFactAttribute.RequirePath(f), dir.File(Path.GetFileName(f)));
        }

        File.WriteAllText(dir.File("notes.txt"), "not a model");
        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path], Threads = 1 }));

        var candidates = source.Discover();

        Assert.Equal(["stories260k", "stories260k-f32.v1"], candidates.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(candidates, c => Assert.Equal(ModelKind.Generative, c.Kind));
        foreach (var candidate in candidates)
        {
            using var model = (IGenerativeModel)await candidate.LoadAsync(CancellationToken.None);
            Assert.Equal(candidate.Name, model.Descriptor.Name);
            Assert.True(model.TryStartSequence(new GenerationRequest { Prompt = "Zoo", MaxTokens = 3 }, out var seq));
            var outputs = new StepOutput[1];
            model.Step([seq], outputs);
            Assert.Equal(1, outputs[0].GeneratedTokens);
            seq.Dispose();
        }
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Discover_UnservableModelFilesAndMissingFolder_LoggedNotSilentlySkipped()
    {
        using var dir = TestModels.CreateTempDirectory();
        using var lonely = TestModels.CreateTempDirectory();
        var checkpoint = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Bin));
        File.WriteAllBytes(dir.File("truncated.bin"), checkpoint[..5000]);
        File.WriteAllText(dir.File("fake.gguf"), "not a gguf file at all");
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer), dir.File("tok512.bin"));
        File.WriteAllBytes(lonely.File("orphan.bin"), checkpoint);
        var logger = new RecordingLogger<EngineModelSource>();
        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [lonely.Path, dir.Path, "/nonexistent/folder"] }), logger);

        var offered = source.Discover();

        // The orphan finds the tokenizer in the second folder, so only the broken files and the folder are reported.
        Assert.Equal(["orphan"], offered.Select(c => c.Name).ToArray());
        Assert.Equal(3, logger.Warnings.Count);
        Assert.Contains(logger.Warnings, w => w.Contains("truncated.bin", StringComparison.Ordinal) && w.Contains("5000 bytes", StringComparison.Ordinal));
        Assert.Contains(logger.Warnings, w => w.Contains("fake.gguf", StringComparison.Ordinal) && w.Contains("GGUF", StringComparison.Ordinal));
        Assert.Contains(logger.Warnings, w => w.Contains("/nonexistent/folder", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Warnings, w => w.Contains("tok512", StringComparison.Ordinal));
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Discover_UnreadableBinBeforeTheTokenizer_CheckpointStillOffered()
    {
        // A write-only sysfs attribute refuses reads even to root, as chmod 000 does to anyone else; sorted before
        // tok512.bin, the tokenizer search threw on it and the checkpoint was skipped for "Access ... denied".
        using var dir = TestModels.CreateTempDirectory();
        File.CreateSymbolicLink(dir.File("a-unreadable.bin"), "/sys/bus/cpu/uevent");
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Bin), dir.File("stories260K.bin"));
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer), dir.File("tok512.bin"));
        var logger = new RecordingLogger<EngineModelSource>();

        var offered = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path] }), logger).Discover();

        Assert.Equal(["stories260k"], offered.Select(c => c.Name).ToArray());
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("a-unreadable.bin", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_EmptyAndAk42ExportBins_LoggedNotSilentlySkipped()
    {
        // Neither is a checkpoint this engine reads nor a tokenizer; both vanished from the server without a word.
        using var dir = TestModels.CreateTempDirectory();
        File.WriteAllBytes(dir.File("download-failed.bin"), []);
        var export = new byte[256];
        BinaryPrimitives.WriteUInt32LittleEndian(export, 0x616b3432); // "ak42", llama2.c export version 1/2
        BinaryPrimitives.WriteInt32LittleEndian(export.AsSpan(4), 2);
        File.WriteAllBytes(dir.File("stories15M_q80.bin"), export);
        var logger = new RecordingLogger<EngineModelSource>();

        Assert.Empty(new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path] }), logger).Discover());

        Assert.Equal(2, logger.Warnings.Count);
        Assert.Contains(logger.Warnings, w => w.Contains("download-failed.bin", StringComparison.Ordinal) && w.Contains("0 bytes", StringComparison.Ordinal));
        Assert.Contains(logger.Warnings, w => w.Contains("stories15M_q80.bin", StringComparison.Ordinal) && w.Contains("ak42", StringComparison.Ordinal));
    }

    [Fact]
    public void Discover_ModelsFolderIsAFile_LoggedAsAFileNotAsMissing()
    {
        using var dir = TestModels.CreateTempDirectory();
        var file = dir.File("stories15M.bin");
        File.WriteAllText(file, "a model file given where its folder belongs");
        var logger = new RecordingLogger<EngineModelSource>();

        Assert.Empty(new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [file] }), logger).Discover());

        var warning = Assert.Single(logger.Warnings);
        Assert.Contains(file + " is a file, not a folder", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", warning, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Discover_ModelsFolderThatCannotBeListed_ThrowsNamingTheSettingAndTheFolder()
    {
        // chmod 000 does not stop root, as the tests run: this thread then checks files as nobody (setfsuid, per
        // thread, which also drops root's file capabilities), so the folder is refused as it is to any other user.
        using var dir = TestModels.CreateTempDirectory();
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        File.SetUnixFileMode(models, UnixFileMode.None);
        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = ["/nonexistent/first", models] }), new RecordingLogger<EngineModelSource>());
        Exception? thrown;
        var wasRoot = Environment.IsPrivilegedProcess;
        if (wasRoot)
        {
            _ = SetFsUid(Nobody);
        }

        try
        {
            thrown = Record.Exception(source.Discover);
        }
        finally
        {
            if (wasRoot)
            {
                _ = SetFsUid(0);
            }

            File.SetUnixFileMode(models, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // It used to escape as the bare UnauthorizedAccessException "Access to the path '…' is denied."
        var ex = Assert.IsType<ModelsFolderException>(thrown);
        Assert.StartsWith($"Sluice:Engine:ModelsPaths:1 (--models) = {models}: the models folder cannot be read (Access to the path", ex.Message, StringComparison.Ordinal);
        Assert.Contains("chmod a+rx", ex.Message, StringComparison.Ordinal);
    }

    [SharedDataFact(TestModels.Bin)]
    public void Discover_CheckpointWithoutTokenizer_LoggedWithItsVocabulary()
    {
        using var dir = TestModels.CreateTempDirectory();
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Bin), dir.File("alone.bin"));
        var logger = new RecordingLogger<EngineModelSource>();

        Assert.Empty(new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path] }), logger).Discover());

        Assert.Contains("vocabulary of 512", Assert.Single(logger.Warnings), StringComparison.Ordinal);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer, TestModels.Gguf)]
    public void Discover_BinAndGgufOfOneNameInOneFolder_SecondLoggedNotSilentlySkipped()
    {
        using var dir = TestModels.CreateTempDirectory();
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Bin), dir.File("stories260K.bin"));
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Gguf), dir.File("stories260K.gguf"));
        File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer), dir.File("tok512.bin"));
        var logger = new RecordingLogger<EngineModelSource>();

        var candidate = Assert.Single(new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path] }), logger).Discover());

        Assert.Equal("stories260k", candidate.Name);
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("stories260K.gguf", warning, StringComparison.Ordinal);
        Assert.Contains("already served from " + dir.File("stories260K.bin"), warning, StringComparison.Ordinal);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Discover_SameNameInTwoFolders_FirstFolderWins()
    {
        using var first = TestModels.CreateTempDirectory();
        using var second = TestModels.CreateTempDirectory();
        foreach (var dir in new[] { first, second })
        {
            File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Bin), dir.File("Stories260K.bin"));
            File.Copy(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer), dir.File("tok512.bin"));
        }

        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [first.Path, second.Path, "/nonexistent/folder"] }));

        var candidate = Assert.Single(source.Discover());
        Assert.Equal("stories260k", candidate.Name);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public async Task Discover_SymlinkedCheckpointAndTokenizer_OffersAndLoadsTheModel()
    {
        // A models folder of links to shared files: a link's own length is not the checkpoint's.
        using var dir = TestModels.CreateTempDirectory();
        File.CreateSymbolicLink(dir.File("linked.bin"), SharedDataFactAttribute.RequirePath(TestModels.Bin));
        File.CreateSymbolicLink(dir.File("tok512.bin"), SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path], Threads = 1 }));

        var candidate = Assert.Single(source.Discover());
        using var model = (IGenerativeModel)await candidate.LoadAsync(CancellationToken.None);

        Assert.Equal("linked", model.Descriptor.Name);
        Assert.StartsWith($"{new FileInfo(SharedDataFactAttribute.RequirePath(TestModels.Bin)).Length:x}-", model.Descriptor.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_CheckpointWithoutMatchingTokenizer_Skipped()
    {
        using var dir = TestModels.CreateTempDirectory();
        var config = new Sluice.Engine.Loading.ModelConfig { Dim = 64, HiddenDim = 96, Layers = 1, Heads = 4, KvHeads = 4, VocabSize = 300, SeqLen = 32 };
        Sluice.Engine.Cli.ModelSynthesizer.WriteLlama2c(dir.File("orphan.bin"), config, 1);
        var source = new EngineModelSource(Options.Create(new EngineOptions { ModelsPaths = [dir.Path] }));

        Assert.Empty(source.Discover());
    }

    [Fact]
    public void AddSluiceEngine_WithConfiguration_RegistersSourceAndBindsOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Engine:ModelsPaths:0"] = "/models/a",
            ["Sluice:Engine:KvBlockSize"] = "8",
            ["Sluice:Engine:KvCacheBudgetMb"] = "256",
            ["Sluice:Engine:MaxSequences"] = "48",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddSluiceEngine();
        services.AddSluiceEngine(); // idempotent
        using var provider = services.BuildServiceProvider();

        Assert.IsType<EngineModelSource>(Assert.Single(provider.GetServices<IModelSource>()));
        var options = provider.GetRequiredService<IOptions<EngineOptions>>().Value;
        Assert.Equal(["/models/a"], options.ModelsPaths);
        Assert.Equal((8, 256, 48), (options.KvBlockSize, options.KvCacheBudgetMb, options.MaxSequences));
    }

    [Fact]
    public void AddSluiceEngine_ModelsPathsGivenAsOneValue_ServesThatFolder()
    {
        // Sluice__Engine__ModelsPaths=/models (no :0) used to bind nothing: the server looked in the default folders.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Engine:ModelsPaths"] = "/models/a",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddSluiceEngine();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(["/models/a"], provider.GetRequiredService<IOptions<EngineOptions>>().Value.ModelsPaths);
    }

    [Fact]
    public void ResolveModelsPaths_Empty_DefaultsToLocalThenShared()
    {
        var paths = new EngineOptions().ResolveModelsPaths();

        Assert.Equal(Path.GetFullPath("models"), paths[0]);
    }

    private const uint Nobody = 65534;

    /// <summary>Sets this thread's filesystem user (Linux); returns the previous one.</summary>
    [DllImport("libc", EntryPoint = "setfsuid")]
    private static extern int SetFsUid(uint uid);
}
