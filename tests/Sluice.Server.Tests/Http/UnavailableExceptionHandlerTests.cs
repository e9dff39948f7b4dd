using Microsoft.AspNetCore.Http;
using Sluice.Core.Storage;
using Sluice.Server.Http;
using Sluice.Testing;

namespace Sluice.Server.Tests.Http;

public sealed class UnavailableExceptionHandlerTests
{
    [Fact]
    public async Task TryHandleAsync_PathWithLineBreaks_LogLineCarriesThemEscaped()
    {
        // A decoded path ("%0D%0A" → CR LF) written raw would let a client forge a log line of its own.
        var problems = new AcceptingProblemDetails();
        var logger = new RecordingLogger<UnavailableExceptionHandler>();
        var handler = new UnavailableExceptionHandler(problems, logger);
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Path = "/v1/jobs/job_1\r\n12:00:00.000 crit: forged line";

        Assert.True(await handler.TryHandleAsync(http, new StoreUnavailableException("down"), CancellationToken.None));

        var line = Assert.Single(logger.Warnings);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("/v1/jobs/job_1%0D%0A", line, StringComparison.Ordinal);
        Assert.Equal(503, http.Response.StatusCode);
    }

    private sealed class AcceptingProblemDetails : IProblemDetailsService
    {
        public ValueTask WriteAsync(ProblemDetailsContext context) => ValueTask.CompletedTask;

        public ValueTask<bool> TryWriteAsync(ProblemDetailsContext context) => ValueTask.FromResult(true);
    }
}
