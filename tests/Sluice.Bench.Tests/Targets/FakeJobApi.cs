using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Bench.Tests.Targets;

/// <summary>
/// A small real implementation of the Sluice job API contract (submit, Prefer: wait, poll, SSE events) used to test
/// the job targets without the full server: jobs finish after <c>runMs</c>, streams send <c>tokens</c> deltas.
/// Every 4th job is rejected with 429 + Retry-After when <c>rejectEvery</c> is set.
/// </summary>
internal sealed class FakeJobApi
{
    private readonly ConcurrentDictionary<string, DateTime> _jobs = new();
    private readonly ConcurrentQueue<bool> _cacheFlags = new();
    private readonly int _runMs;
    private readonly int _tokens;
    private readonly int _rejectEvery;
    private long _submitted;

    public FakeJobApi(int runMs, int tokens, int rejectEvery = 0)
    {
        _runMs = runMs;
        _tokens = tokens;
        _rejectEvery = rejectEvery;
    }

    public long Submitted => Interlocked.Read(ref _submitted);

    public long Accepted => _jobs.Count;

    /// <summary>The <c>cache</c> field of every submit that carried one.</summary>
    public IReadOnlyCollection<bool> CacheFlags => _cacheFlags;

    public void Map(WebApplication app)
    {
        app.MapPost("/v1/jobs", async (HttpContext ctx) =>
        {
            using JsonDocument body = await JsonDocument.ParseAsync(ctx.Request.Body);
            if (!body.RootElement.TryGetProperty("model", out _) || !body.RootElement.TryGetProperty("input", out _))
            {
                return Results.BadRequest();
            }

            if (body.RootElement.TryGetProperty("cache", out JsonElement cache))
            {
                _cacheFlags.Enqueue(cache.GetBoolean());
            }

            long n = Interlocked.Increment(ref _submitted);
            if (_rejectEvery > 0 && n % _rejectEvery == 0)
            {
                ctx.Response.Headers.RetryAfter = "1";
                return Results.StatusCode(429);
            }

            string id = Guid.NewGuid().ToString("N");
            _jobs[id] = DateTime.UtcNow.AddMilliseconds(_runMs);
            string prefer = ctx.Request.Headers["Prefer"].ToString();
            if (prefer.StartsWith("wait=", StringComparison.Ordinal) && n % 2 == 0)
            {
                await Task.Delay(_runMs);
                return Results.Json(new { id, status = "succeeded", result = new { ok = true }, queued_ms = 0, run_ms = _runMs, batch_size = 3 });
            }

            return Results.Json(new { id, status = "queued", links = new { self = $"/v1/jobs/{id}" } }, statusCode: 202);
        });
        app.MapGet("/v1/jobs/{id}", (string id) =>
        {
            if (!_jobs.TryGetValue(id, out DateTime done))
            {
                return Results.NotFound();
            }

            bool finished = DateTime.UtcNow >= done;
            return Results.Json(new { id, status = finished ? "succeeded" : "running", batch_size = finished ? 5 : 0 });
        });
        app.MapGet("/v1/jobs/{id}/events", async (string id, HttpContext ctx) =>
        {
            if (!_jobs.ContainsKey(id))
            {
                ctx.Response.StatusCode = 404;
                return;
            }

            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync("event: queued\nid: 1\ndata: {}\n\n");
            await ctx.Response.WriteAsync("event: started\nid: 2\ndata: {}\n\n");
            await ctx.Response.Body.FlushAsync();
            for (int i = 0; i < _tokens; i++)
            {
                await Task.Delay(_runMs);
                await ctx.Response.WriteAsync($"event: delta\nid: {i + 3}\ndata: {{\"token\":\"t{i}\"}}\n\n");
                await ctx.Response.Body.FlushAsync();
            }

            await ctx.Response.WriteAsync($"event: completed\nid: {_tokens + 3}\ndata: {{\"status\":\"succeeded\",\"batch_size\":2}}\n\n");
        });
    }
}
