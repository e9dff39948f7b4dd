using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Sluice.Server.Hosting;

namespace Sluice.Server.Tests.Hosting;

/// <summary>A setting out of range stops the start with a message naming the setting as an operator writes it.</summary>
public sealed class ServerStartExceptionTests
{
    [Theory]
    [InlineData("Sluice:Cache:MaxBytes", "-1")]
    [InlineData("Sluice:Http:MaxBodyBytes", "0")]
    [InlineData("Sluice:Http:MaxConcurrentConnections", "0")]
    [InlineData("Sluice:Http:MaxConcurrentUpgradedConnections", "1000001")]
    [InlineData("Sluice:Storage:Synchronous", "OFF")]
    [InlineData("Sluice:Cache:Scope", "tenant")]
    [InlineData("Sluice:BuiltIns:CountStepMs", "-1")]
    [InlineData("Sluice:Grading:MaxWords", "0")]
    [InlineData("Sluice:Grading:MaxPromptTextChars", "-1")]
    [InlineData("Sluice:Grading:MaxBatchSize", "0")]
    [InlineData("Sluice:Grading:MaxQueueDelayMs", "NaN")]
    [InlineData("Sluice:Classification:ReloadCheckMs", "-1")]
    [InlineData("Sluice:Classification:MaxTextChars", "0")]
    [InlineData("Sluice:Classification:MaxBatchSize", "0")]
    [InlineData("Sluice:Classification:ModelName", "Not A Name")]
    public async Task RunAsync_DataAnnotationSettingOutOfRange_MessageNamesTheSetting(string setting, string value)
    {
        // A setting left unchecked starts the server, which runs until stopped: the wait turns that into a failure.
        var ex = await StartFailureAsync($"--{setting}={value}").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Contains(setting + ": ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DataAnnotation validation failed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KvBlockSize", "2147483647", "1 to 1024")]
    [InlineData("KvBlockSize", "0", "1 to 1024")]
    [InlineData("KvCacheBudgetMb", "0", "1 to 1048576")]
    [InlineData("MaxSequences", "-3", "1 to 4096")]
    [InlineData("Threads", "100000", "0 to 1024")]
    [InlineData("PrefillChunk", "0", "1 to 65536")]
    [InlineData("WarmUpMilliseconds", "-1", "0 to 600000")]
    public async Task RunAsync_EngineSettingOutOfRange_MessageNamesTheSettingAndItsRange(string setting, string value, string range)
    {
        // These started a server whose engine models then overflowed the KV cache pool (KvBlockSize 2147483647) or
        // were silently clamped to 1 (a KV budget of 0 MiB refused every request); the wait ends the old hang.
        var ex = await StartFailureAsync($"--Sluice:Engine:{setting}={value}").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal($"the server could not start: Sluice:Engine:{setting} = {value} must be from {range}.", ex.Message);
    }

    [Theory]
    [InlineData("-1.00:00:00")]
    [InlineData("10000000.00:00:00")]
    public async Task RunAsync_IdempotencyRetentionOutOfRange_MessageNamesTheSetting(string value)
    {
        // These started: a negative retention let a retried submit create a second job, a huge one answered every
        // submit with an Idempotency-Key 503 'the job store is unavailable' (the cutoff overflowed DateTime).
        var ex = await StartFailureAsync($"--Sluice:Storage:IdempotencyRetention={value}").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal("the server could not start: Sluice:Storage:IdempotencyRetention must be above 00:00:00 and at most 1.00:00:00 (idempotency keys are purged after a day).", ex.Message);
    }

    [Theory]
    [InlineData("12:00:00")]
    [InlineData("-7.00:00:00")]
    [InlineData("10000000.00:00:00")]
    public async Task RunAsync_JobRetentionOutOfRange_MessageNamesTheSetting(string value)
    {
        // Shorter than a day, an idempotency key still honoured could name a job already deleted; a huge one would
        // overflow the purge's cutoff.
        var ex = await StartFailureAsync($"--Sluice:Storage:JobRetention={value}").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal("the server could not start: Sluice:Storage:JobRetention must be at least 1.00:00:00 and at most 3650.00:00:00 (a finished job outlives its idempotency key).", ex.Message);
    }

    [Fact]
    public async Task RunAsync_TwoSettingsOutOfRange_MessageJoinsThemWithoutDoubledPunctuation()
    {
        var ex = await StartFailureAsync("--Sluice:Engine:KvBlockSize=0", "--Sluice:Engine:MaxSequences=-3").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(
            "the server could not start: Sluice:Engine:KvBlockSize = 0 must be from 1 to 1024; Sluice:Engine:MaxSequences = -3 must be from 1 to 4096.",
            ex.Message);
    }

    [Fact]
    public async Task RunAsync_SettingABoundSectionDoesNotHave_MessageNamesTheSettingAndTheOnesItHas()
    {
        var ex = await StartFailureAsync("--Sluice:BuiltIns:SleepBatch:BaseMs=500", "--Sluice:BuiltIns:CountMs=5");

        Assert.Equal(
            "the server could not start: Sluice:BuiltIns:CountMs, Sluice:BuiltIns:SleepBatch: not a setting of Sluice:BuiltIns (its settings: Enabled, SleepBatchBaseMs, SleepBatchPerItemMs, CountStepMs)",
            ex.Message);
    }

    [Fact]
    public void Message_ConfigurationFileThatIsNotJson_SaysWhereTheFileIsBroken()
    {
        var path = Path.Combine(Path.GetTempPath(), "sluice-appsettings-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(path, "{ \"Sluice\": { \"Cache\": { \"MaxBytes\": 5, }");
        try
        {
            var cause = Assert.ThrowsAny<InvalidDataException>(() => new ConfigurationBuilder().AddJsonFile(path).Build());

            var message = new ServerStartException(cause).Message;

            Assert.StartsWith($"the server could not start: Failed to load configuration from file '{path}': Could not parse the JSON file: ", message, StringComparison.Ordinal);
            Assert.Contains("BytePositionInLine", message, StringComparison.Ordinal);
            Assert.DoesNotContain("\n", message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("Sluice:Cache:MaxBytes", "abc", "a whole number")]
    [InlineData("Sluice:Auth:AnonymousRequestsPerSecond", "ten", "a number")]
    [InlineData("Sluice:Engine:HugePages", "maybe", "true or false")]
    [InlineData("Sluice:Queue:Aging", "2s", "a duration such as 00:00:02 (hh:mm:ss, or d.hh:mm:ss)")]
    public async Task RunAsync_SettingOfTheWrongType_MessageSaysWhatTheSettingTakesInWords(string setting, string value, string expected)
    {
        var ex = await StartFailureAsync($"--{setting}={value}");

        Assert.Equal($"the server could not start: {setting} = '{value}' is not {expected}.", ex.Message);
    }

    [Fact]
    public void SectionOf_EveryOptionsClassCheckedByDataAnnotations_IsTheSectionItsRegistrationBinds()
    {
        var assemblies = new[]
        {
            typeof(Sluice.Core.Caching.CacheOptions).Assembly, typeof(Sluice.Server.Http.HttpOptions).Assembly, typeof(Sluice.Sqlite.SqliteStoreOptions).Assembly,
            typeof(Sluice.Postgres.PostgresStoreOptions).Assembly, typeof(Sluice.RabbitMq.RabbitMqOptions).Assembly, typeof(Sluice.Grading.GradingOptions).Assembly,
        };
        var annotated = assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t.GetProperties().Any(p => p.GetCustomAttributes<ValidationAttribute>().Any()))
            .ToDictionary(t => t.Name, ServerStartException.SectionOf);

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["MemoryOptions"] = "Sluice:Memory",
                ["CacheOptions"] = "Sluice:Cache",
                ["BuiltInOptions"] = "Sluice:BuiltIns",
                ["HttpOptions"] = "Sluice:Http",
                ["SqliteStoreOptions"] = "Sluice:Storage",
                ["PostgresStoreOptions"] = "Sluice:Store",
                ["RabbitMqOptions"] = "Sluice:Queue",
                ["GradingOptions"] = "Sluice:Grading",
            },
            annotated);
    }

    [Fact]
    public void NameTheSetting_FailureNotFromDataAnnotations_Unchanged()
    {
        Assert.Equal("Sluice:Retry:BaseDelay = -00:00:01 must be …", ServerStartException.NameTheSetting(typeof(Sluice.Core.Caching.CacheOptions), "Sluice:Retry:BaseDelay = -00:00:01 must be …"));
    }

    [Fact]
    public async Task RunAsync_BlankClassificationTrainingRoot_MessageNamesTheSetting()
    {
        // A blank root resolves to the working folder and would admit any file below it.
        var ex = await StartFailureAsync("--Sluice:Classification:TrainingRoots:0=/tmp", "--Sluice:Classification:TrainingRoots:1= ").WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Contains("Sluice:Classification:TrainingRoots:1 is blank", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Starts the server on a free port with a throw-away data folder, no models, and <paramref name="settings"/>; returns why it did not start.</summary>
    private static async Task<ServerStartException> StartFailureAsync(params string[] settings)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-start-" + Guid.NewGuid().ToString("N")[..8]);
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            "--Sluice:Storage:DataDir=" + dir,
            "--Sluice:Engine:ModelsPaths:0=/nonexistent-sluice-models",
            "--Sluice:Grading:ModelPath=/nonexistent-sluice-grader.bin",
            .. settings,
        ];
        try
        {
            return await Assert.ThrowsAsync<ServerStartException>(() => SluiceServerHost.RunAsync(args, CancellationToken.None));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
