using System.Text;
using Sluice.Core.Jobs;
using Sluice.Server.Apis;

namespace Sluice.Server.Tests.Apis;

/// <summary>The bytes of SSE frames, written straight into a pooled buffer.</summary>
public sealed class SseWriterTests
{
    [Theory]
    [InlineData("{\"a\":1}", "data: {\"a\":1}\n")]
    [InlineData("{\"a\":\r\n1,\r\"b\":\n2}", "data: {\"a\":\ndata: 1,\ndata: \"b\":\ndata: 2}\n")]
    [InlineData("{}\r", "data: {}\ndata: \n")]
    [InlineData("\n\n{}", "data: \ndata: \ndata: {}\n")]
    [InlineData("{\"t\":\"é€😀\u2028x\"}", "data: {\"t\":\"é€😀\u2028x\"}\n")]
    public async Task WriteEventAsync_DataWithLineEnds_OneDataLinePerLine(string data, string dataLines)
    {
        var body = new MemoryStream();

        await new SseWriter(body).WriteEventAsync(new JobEvent("job_1", 1234567890123, "completed", data, DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.Equal("id: 1234567890123\nevent: completed\n" + dataLines + "\n", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task WriteEventAsync_LoneSurrogate_ReplacementCharacter()
    {
        var body = new MemoryStream();

        await new SseWriter(body).WriteEventAsync(new JobEvent("job_1", 1, "delta", "\"\ud800\"", DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.Equal("id: 1\nevent: delta\ndata: \"\ufffd\"\n\n"u8.ToArray(), body.ToArray());
    }

    [Fact]
    public async Task WriteCommentAsync_Twice_TwoKeepAliveComments()
    {
        var body = new MemoryStream();
        var writer = new SseWriter(body);

        await writer.WriteCommentAsync(CancellationToken.None);
        await writer.WriteCommentAsync(CancellationToken.None);

        Assert.Equal(": keep-alive\n\n: keep-alive\n\n", Encoding.UTF8.GetString(body.ToArray()));
    }
}
