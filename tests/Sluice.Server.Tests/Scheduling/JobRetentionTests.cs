using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>Finished jobs are deleted by the hourly store maintenance once past Sluice:Storage:JobRetention.</summary>
public sealed class JobRetentionTests
{
    [Fact]
    public async Task StoreMaintenance_FinishedJobPastTheRetention_JobItsEventsCancelAndRequeueAnswer404()
    {
        var clock = new HeldLongTimersTimeProvider(TimeSpan.FromHours(1));
        await using var server = await TestServer.StartAsync(configureServices: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("""{"model":"echo","input":{"x":1}}""") };
        submit.Headers.Add("Prefer", "wait=30");
        using var submitted = await server.Client.SendAsync(submit);
        var job = await TestServer.ReadJsonAsync(submitted);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var id = job.GetProperty("id").GetString()!;

        // The hourly tick, an hour after the job's retention ran out.
        clock.Offset = JobRetention.Default + TimeSpan.FromHours(1);
        Assert.True(clock.FireLongTimers() > 0);

        var until = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = (await server.Client.GetAsync($"/v1/jobs/{id}")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(HttpStatusCode.NotFound, status);
        using var get = await server.Client.GetAsync($"/v1/jobs/{id}");
        var problem = await TestServer.ReadJsonAsync(get);
        Assert.EndsWith("/job-not-found", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal("id", problem.GetProperty("field").GetString());
        using var events = await server.Client.GetAsync($"/v1/jobs/{id}/events");
        Assert.Equal(HttpStatusCode.NotFound, events.StatusCode);
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        using var requeue = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);
        Assert.Equal(HttpStatusCode.NotFound, requeue.StatusCode);
        var list = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/jobs"));
        Assert.DoesNotContain(id, list.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(await server.Services.GetRequiredService<IJobStore>().GetEventsAsync(id, 0, CancellationToken.None));
        Assert.Contains("sluice_jobs_purged_total 1", await server.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }
}
