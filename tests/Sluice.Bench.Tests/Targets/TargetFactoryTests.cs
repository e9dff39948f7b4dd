using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Targets;

public sealed class TargetFactoryTests
{
    [Theory]
    [InlineData("Job", "{bad")]
    [InlineData("JobStream", "1}, \"x\": {")]
    [InlineData("Infer", "")]
    public void Create_InputNotOneJsonValue_RefusedBeforeTheRun(string kind, string input)
    {
        var spec = new TargetSpec { Kind = Enum.Parse<TargetKind>(kind), Url = new Uri("http://127.0.0.1:1/"), InputJson = input };

        var e = Assert.Throws<BenchConfigurationException>(() => TargetFactory.Create(spec, TimeSpan.FromSeconds(1)));

        Assert.StartsWith("--input is not one JSON value", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Job")]
    [InlineData("JobStream")]
    public void Create_UnknownPriority_RefusedBeforeTheRun(string kind)
    {
        var spec = new TargetSpec { Kind = Enum.Parse<TargetKind>(kind), Url = new Uri("http://127.0.0.1:1/"), Priority = "urgent" };

        var e = Assert.Throws<BenchConfigurationException>(() => TargetFactory.Create(spec, TimeSpan.FromSeconds(1)));

        Assert.Equal("--priority must be high, normal or low (got 'urgent').", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Create_ChatMaxTokensBelowOne_RefusedBeforeTheRun(int maxTokens)
    {
        var spec = new TargetSpec { Kind = TargetKind.Chat, Url = new Uri("http://127.0.0.1:1/"), MaxTokens = maxTokens };

        var e = Assert.Throws<BenchConfigurationException>(() => TargetFactory.Create(spec, TimeSpan.FromSeconds(1)));

        Assert.Equal($"--max-tokens must be at least 1 (got {maxTokens}).", e.Message);
    }

    [Theory]
    [InlineData("G E T")]
    [InlineData("")]
    [InlineData(" ")]
    public void Create_HttpMethodNotAToken_RefusedNamingMethod(string method)
    {
        var spec = new TargetSpec { Kind = TargetKind.Http, Url = new Uri("http://127.0.0.1:1/"), Method = method };

        var e = Assert.Throws<BenchConfigurationException>(() => TargetFactory.Create(spec, TimeSpan.FromSeconds(1)));

        Assert.StartsWith($"--method '{method}'", e.Message, StringComparison.Ordinal);
    }
}
