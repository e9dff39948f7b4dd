using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Testing.Server;

/// <summary>Speaks OpenAI's streaming chat format the way api.openai.com and vLLM do.</summary>
public static class FakeOpenAi
{
    public static string Chunk(string? content, string? finish = null) =>
        JsonSerializer.Serialize(new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion.chunk",
            created = 1,
            model = "upstream-model",
            choices = new[] { new { index = 0, delta = content is null ? (object)new { } : new { content }, finish_reason = finish } },
        });

    public static async Task StreamAsync(HttpContext context, string[] pieces, int delayMs = 0, int promptTokens = 7)
    {
        context.Response.ContentType = "text/event-stream";
        await FakeUpstream.WriteLineAsync(context.Response, ": upstream keep-alive\n");
        foreach (var piece in pieces)
        {
            await FakeUpstream.WriteLineAsync(context.Response, "data: " + Chunk(piece) + "\n");
            if (delayMs > 0)
            {
                await Task.Delay(delayMs, context.RequestAborted);
            }
        }

        await FakeUpstream.WriteLineAsync(context.Response, "data: " + Chunk(null, "stop") + "\n");
        await FakeUpstream.WriteLineAsync(context.Response, "data: " + JsonSerializer.Serialize(new { id = "chatcmpl-fake", @object = "chat.completion.chunk", choices = Array.Empty<object>(), usage = new { prompt_tokens = promptTokens, completion_tokens = pieces.Length, total_tokens = promptTokens + pieces.Length } }) + "\n");
        await FakeUpstream.WriteLineAsync(context.Response, "data: [DONE]\n");
    }

    /// <summary><c>GET /v1/models</c> of an upstream that can go down: the list while <paramref name="isUp"/> says so, 503 after (what a health probe sees).</summary>
    public static RequestDelegate ModelsWhile(Func<bool> isUp) => async context =>
    {
        if (isUp())
        {
            await ModelsAsync(context);
        }
        else
        {
            context.Response.StatusCode = 503;
        }
    };

    /// <summary><c>POST /v1/chat/completions</c> of an upstream that fails every generation: 500 with <paramref name="body"/>.</summary>
    public static RequestDelegate Failing(string body = "boom") => async context =>
    {
        context.Response.StatusCode = 500;
        await context.Response.WriteAsync(body);
    };

    /// <summary>An upstream that lists its models but fails every chat call (<see cref="Failing"/>).</summary>
    public static Task<FakeUpstream> StartFailingAsync() => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", ModelsAsync);
        app.MapPost("/v1/chat/completions", Failing());
    });

    /// <summary>An upstream that lists its models and answers every chat call 429 with <c>Retry-After: {seconds}</c>.</summary>
    public static Task<FakeUpstream> StartBusyAsync(int retryAfterSeconds) => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", ModelsAsync);
        app.MapPost("/v1/chat/completions", async context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync("slow down");
        });
    });

    /// <summary>An upstream that lists its models and answers no chat call for 10 s (until the caller gives up).</summary>
    public static Task<FakeUpstream> StartSilentAsync() => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", ModelsAsync);
        app.MapPost("/v1/chat/completions", async context => await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted));
    });

    /// <summary>An upstream that lists its models and, to every chat call, streams one chunk ("slow") and then stalls for two minutes.</summary>
    public static Task<FakeUpstream> StartStallingAsync() => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", ModelsAsync);
        app.MapPost("/v1/chat/completions", async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await FakeUpstream.WriteLineAsync(context.Response, "data: " + Chunk("slow") + "\n");
            await Task.Delay(TimeSpan.FromSeconds(120), context.RequestAborted);
        });
    });

    /// <summary><c>POST /v1/chat/completions</c> of an upstream that can come back: streams <paramref name="pieces"/> while <paramref name="isUp"/> says so, fails as <see cref="Failing"/> before.</summary>
    public static RequestDelegate ChatWhile(Func<bool> isUp, string[] pieces)
    {
        var failing = Failing();
        return context => isUp() ? StreamAsync(context, pieces) : failing(context);
    }

    public static Task ModelsAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new { @object = "list", data = new[] { new { id = "upstream-model", @object = "model", created = 0, owned_by = "fake" } } });
}
