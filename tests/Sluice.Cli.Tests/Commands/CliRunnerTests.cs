using Sluice.Cli.Commands;
using Sluice.Testing;

namespace Sluice.Cli.Tests.Commands;

/// <summary>Whole command lines through the real parser and the one error path.</summary>
public sealed class CliRunnerTests
{
    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var error = new StringWriter();
        var code = await CliRunner.RunAsync(args, new StringWriter(), error);
        return (code, error.ToString());
    }

    [Fact]
    public async Task RunAsync_SubmitWithMissingAtFile_ReadsItAsAFileNotAResponseFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"sluice-missing-{Guid.NewGuid():N}.json");

        var (code, error) = await RunAsync("submit", "echo", "@" + missing, "--url", "http://127.0.0.1:1");

        Assert.Equal(1, code);
        Assert.Equal($"error: Could not find file '{missing}'.", error.Trim());
    }

    [Theory]
    [InlineData("a file", "submit", "echo", "@{dir}")]
    [InlineData("a model file", "generate", "--model", "{dir}")]
    [InlineData("a file", "grade", "{dir}")]
    public async Task RunAsync_PathIsADirectory_SaysItIsADirectory(string notA, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cli-").FullName;
        try
        {
            var (code, error) = await RunAsync([.. args.Select(a => a.Replace("{dir}", dir, StringComparison.Ordinal))]);

            Assert.Equal(1, code);
            Assert.Equal($"error: {dir} is a directory, not {notA}", error.Trim());
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Theory]
    [InlineData("error: Cannot parse argument 'abc' for option '--prompt' as a whole number (see --help)", "grade", "essay.txt", "--prompt", "abc")]
    [InlineData("error: Cannot parse argument 'x' for option '--limit' as a whole number (see --help)", "jobs", "list", "--limit", "x")]
    [InlineData("error: Unrecognized command or argument '--frobnicate' (see --help)", "models", "--frobnicate")]
    public async Task RunAsync_ValueTheParserRejects_OneErrorLineInWordsAndExit2(string expected, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(args, output, error);

        Assert.Equal(2, code);
        Assert.Equal(expected, error.ToString().Trim());
        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("error: 'lst' is not a command of 'sluice jobs' (get, cancel, requeue, list); did you mean 'list'? (see --help)", "jobs", "lst")]
    [InlineData("error: 'job' is not a command of 'sluice' (serve, submit, jobs, models, grader, grade, classifier, generate, model, engine, bench); did you mean 'jobs'? (see --help)", "job", "list")]
    [InlineData("error: 'scenari' is not a command of 'sluice bench' (scenario); did you mean 'scenario'? (see --help)", "bench", "scenari", "overhead")]
    [InlineData("error: 'frobnicate' is not a command of 'sluice grader' (train, eval, bench) (see --help)", "grader", "frobnicate")]
    public async Task RunAsync_MistypedSubcommand_OneErrorLineListingTheCommandsAndTheLikelyOne(string expected, params string[] args)
    {
        var (code, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal(expected, error.Trim());
    }

    [Theory]
    [InlineData("error: Unrecognized command or argument '--jsn'; did you mean '--json'? (see --help)", "models", "--jsn")]
    [InlineData("error: Required argument missing for option: '--status'; Cannot parse argument 'x' for option '--limit' as a whole number (see --help)", "jobs", "list", "--limit", "x", "--status")]
    public async Task RunAsync_UnknownOptionOrSeveralParseErrors_OneErrorLine(string expected, params string[] args)
    {
        var (code, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal(expected, error.Trim());
    }

    [Fact]
    public async Task RunAsync_SynthIntoAFolderThatDoesNotExist_CreatesTheFolderAndWritesTheModel()
    {
        // docs/benchmarks.md writes to /tmp/sluice-models/…, a folder a fresh machine does not have.
        var root = Path.Combine(Path.GetTempPath(), $"sluice-synth-{Guid.NewGuid():N}");
        var output = Path.Combine(root, "models", "synthetic15m-q8_0.gguf");
        try
        {
            var (code, error) = await RunAsync("model", "synth", "--shape", "15M", "--format", "gguf", "--type", "q8_0", "--out", output);

            Assert.Equal("", error.Trim());
            Assert.Equal(0, code);
            Assert.True(new FileInfo(output).Length > 0);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public async Task RunAsync_SynthUnknownShape_UsageErrorWithNoParameterSuffixAndExit2()
    {
        var output = Path.Combine(Path.GetTempPath(), $"sluice-synth-{Guid.NewGuid():N}.bin");

        var (code, error) = await RunAsync("model", "synth", "--shape", "7B", "--out", output);

        Assert.Equal(2, code);
        Assert.Equal("error: unknown --shape 7B (expected 15M, 42M or 110M)", error.Trim());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task RunAsync_ServeWithASettingOutOfRange_OneErrorLineNamingTheSetting()
    {
        var data = Directory.CreateTempSubdirectory("sluice-cli-serve-").FullName;
        try
        {
            var (code, error) = await RunAsync("serve", "--urls", "http://127.0.0.1:0", "--data-dir", data, "--Sluice:Models:echo:MaxBatchSize=-4");

            Assert.Equal(1, code);
            Assert.Equal("error: the server could not start: Configuration Sluice:Models:echo:MaxBatchSize = '-4' is invalid: expected an integer from 1 to 4096.", error.Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("gateway", "Sluice:Role=gateway needs Sluice:Store:Url (--store postgres://…)", "--queue", "rabbitmq://guest:guest@127.0.0.1:1/")]
    [InlineData("worker", "Sluice:Role=worker needs Sluice:Queue:Url (--queue rabbitmq://…)", "--store", "postgres://sluice:sluice@127.0.0.1:1/sluice")]
    [InlineData("worker", "Sluice:Role=worker needs Sluice:Queue:Url (--queue rabbitmq://…) and Sluice:Store:Url (--store postgres://…)")]
    public async Task RunAsync_ServeGatewayOrWorkerWithoutQueueAndStore_RefusesToStartNamingTheSettings(string role, string expected, params string[] more)
    {
        var data = Directory.CreateTempSubdirectory("sluice-cli-serve-").FullName;
        try
        {
            var (code, error) = await RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", data, "--role", role, .. more]);

            Assert.Equal(1, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.StartsWith("error: the server could not start: " + expected + ": ", error.Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("Sluice:Auth:Keys:0 needs Key (the secret) or Sha256 (its hex SHA-256)", "--Sluice:Auth:Keys:0:Id=alice")]
    [InlineData("Sluice:Auth:Keys:0:Id is required", "--Sluice:Auth:Keys:0:Key=secret")]
    [InlineData("Sluice:Auth:Keys:0:Sha256 must be 64 hex digits", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Sha256=zz")]
    [InlineData("Sluice:Auth:Keys:0:Burst must be at least 1", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:0:RequestsPerSecond=1", "--Sluice:Auth:Keys:0:Burst=0.5")]
    [InlineData("Sluice:Auth:Keys:0:RequestsPerSecond must be a number of at least 0", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:0:RequestsPerSecond=-1")]
    [InlineData("Sluice:Auth:Keys:1 has the same secret as Sluice:Auth:Keys:0", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:1:Id=bob", "--Sluice:Auth:Keys:1:Key=secret")]
    [InlineData("Sluice:Auth:Keys:0:RequestsPerSecond = '10/s' is not a number", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:0:RequestsPerSecond=10/s")]
    [InlineData("Sluice:Auth:Keys:0:RequestPerSecond is not a key setting", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:0:RequestPerSecond=10")]
    [InlineData("Sluice:Auth:Keys:5 needs Key", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:Keys:5:Id=bob")]
    [InlineData("Sluice:Auth:StreamTokenSecret must be at least 32 characters", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:StreamTokenSecret=short")]
    [InlineData("Sluice:Auth:StreamTokenSeconds = 0 is out of range", "--Sluice:Auth:Keys:0:Id=alice", "--Sluice:Auth:Keys:0:Key=secret", "--Sluice:Auth:StreamTokenSeconds=0")]
    public async Task RunAsync_ServeWithAnUnusableApiKey_RefusesToStartNamingTheSetting(string expected, params string[] settings)
    {
        // These used to start, report ready and answer every /v1 request with 500 (the burst: 429 forever; a limit
        // that is not a number: the entry was dropped, and a server whose only key it was ran open).
        var data = Directory.CreateTempSubdirectory("sluice-cli-serve-").FullName;
        try
        {
            // A server that starts runs until stopped: bounded, so that a start that should have failed fails the test.
            var (code, error) = await RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", data, "--Sluice:Models:essay-grader:Enabled=false", .. settings]).WaitAsync(TimeSpan.FromMinutes(2));

            Assert.Equal(1, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.StartsWith("error: the server could not start: " + expected, error.Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_SubmitUnknownPriority_UsageErrorBeforeAnyRequest()
    {
        // Port 1 refuses connections: a request would fail differently (exit 1, "could not reach").
        var (code, error) = await RunAsync("submit", "echo", "{}", "--priority", "urgent", "--url", "http://127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("urgent", error);
        Assert.Contains("high", error);
    }

    [Fact]
    public async Task RunAsync_ModelsWithNoServer_NamesTheUrlWithoutAStackTrace()
    {
        var (code, error) = await RunAsync("models", "--url", "http://127.0.0.1:1");

        Assert.Equal(1, code);
        Assert.StartsWith("error: could not reach http://127.0.0.1:1/v1/models", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task RunAsync_UrlThatIsNotAUrl_IsAUsageError()
    {
        var (code, error) = await RunAsync("jobs", "list", "--url", "notaurl");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --url 'notaurl' is not an http:// or https:// URL", error);
    }

    [Theory]
    [InlineData("--steps must be at least 1 (got 0)", "engine", "bench", "--model", "m.bin", "--steps", "0")]
    [InlineData("--repeats must be at least 1 (got -2)", "engine", "bench", "--model", "m.bin", "--repeats", "-2")]
    [InlineData("--threads must be at least 0 (0 = all cores) (got -3)", "engine", "bench", "--model", "m.bin", "--threads", "-3")]
    [InlineData("--batch lists no batch sizes (e.g. --batch 1,4,16)", "engine", "bench", "--model", "m.bin", "--batch", "")]
    [InlineData("--batch: 4097 is more than 4096 sequences (the engine's most per step, as Sluice:Engine:MaxSequences)", "engine", "bench", "--model", "m.bin", "--batch", "1,4097")]
    [InlineData("--temperature must be a finite number (got NaN)", "generate", "--model", "m.bin", "--temperature", "NaN")]
    [InlineData("--threads must be at least 0 (0 = all cores) (got -1)", "generate", "--model", "m.bin", "--threads", "-1")]
    [InlineData("--seconds must be a number greater than 0 (got 0)", "grader", "bench", "--seconds", "0")]
    public async Task RunAsync_OptionOutOfRange_IsAUsageErrorNamingIt(string expected, params string[] args)
    {
        var (code, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("error: " + expected, error.Trim());
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task RunAsync_EngineBenchHugeBatch_IsAUsageErrorNotAStackTrace()
    {
        // A batch of 1e8 loaded the model and then overflowed the batch buffers' size: "Unhandled exception:
        // System.OverflowException" and its stack trace, exit code 1.
        var (code, error) = await RunAsync("engine", "bench", "--model", SharedDataFactAttribute.RequirePath("models/stories260K.bin"),
            "--tokenizer", SharedDataFactAttribute.RequirePath("models/tok512.bin"), "--batch", "100000000", "--steps", "1", "--repeats", "1");

        Assert.Equal(2, code);
        Assert.Equal("error: --batch: 100000000 is more than 4096 sequences (the engine's most per step, as Sluice:Engine:MaxSequences)", error.Trim());
    }

    [SharedDataTheory("data/asap")]
    [InlineData("--folds lists no values", "grader", "eval", "--folds", "")]
    [InlineData("--prompts: an empty item in '1,,2'", "grader", "eval", "--prompts", "1,,2")]
    [InlineData("--prompts: '9' is not an ASAP prompt 1-8", "grader", "eval", "--prompts", "9")]
    public async Task RunAsync_GraderEvalListGivenButEmptyOrWithAHole_IsAUsageErrorNotTheFullRun(string expected, params string[] args)
    {
        var (code, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("error: " + expected, error.Trim());
    }

    [Fact]
    public async Task RunAsync_RootHelp_MentionsTheScriptCommandsAndDebugVariable()
    {
        var output = new StringWriter();

        var code = await CliRunner.RunAsync(["--help"], output, new StringWriter());

        Assert.Equal(0, code);
        Assert.Contains("./sluice test [ARGS]", output.ToString());
        Assert.Contains("./sluice dev up", output.ToString());
        Assert.Contains("SLUICE_DEBUG=1", output.ToString());
    }

    [Fact]
    public async Task RunAsync_NoCommand_PrintsTheRootHelpAndExits0()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync([], output, error);

        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        Assert.Contains("Commands:", output.ToString());
        Assert.Contains("Submit a job and stream its events until it ends.", output.ToString());
        Assert.Contains("./sluice test [ARGS]", output.ToString());
        Assert.Contains("./sluice dev up", output.ToString());
    }

    [Theory]
    [InlineData("jobs", "cancel <id>")]
    [InlineData("grader", "train")]
    [InlineData("model", "synth")]
    [InlineData("engine", "bench")]
    public async Task RunAsync_GroupWithoutItsCommand_PrintsTheGroupsHelpAndExits0(string group, string command)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync([group], output, error);

        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        Assert.Contains($" {group} [command] [options]", output.ToString());
        Assert.Contains($"  {command} ", output.ToString());
    }

    [Fact]
    public async Task RunAsync_RootHelp_ShowsNoArgumentDefaultOnACommandsLine()
    {
        var output = new StringWriter();

        var code = await CliRunner.RunAsync(["--help"], output, new StringWriter());

        Assert.Equal(0, code);
        var submit = output.ToString().Split('\n').Single(l => l.TrimStart().StartsWith("submit ", StringComparison.Ordinal));
        Assert.EndsWith("Submit a job and stream its events until it ends.", submit.TrimEnd());
        Assert.DoesNotContain("[default: {}]", output.ToString());
    }

    [Fact]
    public async Task RunAsync_SubmitHelp_SaysWhatAnOmittedInputIs()
    {
        var output = new StringWriter();

        var code = await CliRunner.RunAsync(["submit", "--help"], output, new StringWriter());

        Assert.Equal(0, code);
        Assert.Contains("submit <model> [<input>] [options]", output.ToString());
        Assert.Contains("'-' reads stdin; omitted: {}.", output.ToString());
    }
}
