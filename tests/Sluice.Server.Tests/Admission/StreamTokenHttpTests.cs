using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Admission;

/// <summary>
/// Browsers' EventSource cannot send the API key: a job's read-only stream token opens that job's event streams over
/// real HTTP, and nothing else.
/// </summary>
public sealed class StreamTokenHttpTests
{
    private static readonly Dictionary<string, string> Keys = new()
    {
        ["Sluice:Auth:Keys:0:Id"] = "alice",
        ["Sluice:Auth:Keys:0:Key"] = "alice-secret",
    };

    [Fact]
    public async Task EventsSse_StreamTokenOfTheSubmit_StreamsTheJobWithoutAKey()
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, token, expiresAt) = await SubmitAsync(server);

        using var response = await OpenEventsAsync(server, id, token);
        var events = await SseParser.ReadAllAsync(await response.Content.ReadAsStreamAsync(), CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("completed", events[^1].Event);
        // The default lifetime: a few minutes.
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(240), TimeSpan.FromSeconds(301));
    }

    [Fact]
    public async Task EventsWebSocket_StreamToken_StreamsTheJobWithoutAKey()
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, token, _) = await SubmitAsync(server);
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await ws.ConnectAsync(new Uri(server.BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + $"v1/jobs/{id}/ws?stream_token={token}"), cts.Token);

        Assert.Equal("completed", (await WebSocketEvents.ReadTypesAsync(ws, cts.Token))[^1]);
    }

    [Fact]
    public async Task EventsSse_ExpiredStreamToken_Refused401AndTheOwnerGetsAFreshOne()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Keys) { ["Sluice:Auth:StreamTokenSeconds"] = "60" },
            configureServices: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var (id, token, _) = await SubmitAsync(server);

        clock.Offset = TimeSpan.FromSeconds(61);
        using var expired = await OpenEventsAsync(server, id, token);
        await AssertUnauthorizedAsync(expired, "stream_token", "expired");

        // The key that owns the job gets a new token with the job.
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}");
        get.Headers.Add("X-Api-Key", "alice-secret");
        using var job = await server.Client.SendAsync(get);
        var fresh = (await TestServer.ReadJsonAsync(job)).GetProperty("stream_token").GetString()!;
        using var reopened = await OpenEventsAsync(server, id, fresh);
        Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);
    }

    [Fact]
    public async Task EventsSse_StreamTokenOfAnotherJob_Refused401()
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (first, _, _) = await SubmitAsync(server);
        var (_, secondToken, _) = await SubmitAsync(server);

        using var response = await OpenEventsAsync(server, first, secondToken);

        await AssertUnauthorizedAsync(response, "stream_token", "another job");
    }

    [Theory]
    [InlineData("GET", "/v1/jobs/{id}")]
    [InlineData("DELETE", "/v1/jobs/{id}")]
    [InlineData("GET", "/v1/jobs")]
    [InlineData("GET", "/v1/models")]
    [InlineData("POST", "/v1/jobs")]
    public async Task StreamToken_OnAnotherEndpoint_Refused401(string method, string path)
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, token, _) = await SubmitAsync(server);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal) + "?stream_token=" + token);
        if (method == "POST")
        {
            request.Content = TestServer.Json("""{"model":"echo","input":{"x":1}}""");
        }

        using var response = await server.Client.SendAsync(request);

        await AssertUnauthorizedAsync(response, "stream_token", "only its job's event stream");
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("st1.eyJ4IjoxfQ.AAAA")]
    public async Task EventsSse_ForgedStreamToken_Refused401(string token)
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, _, _) = await SubmitAsync(server);

        using var response = await OpenEventsAsync(server, id, token);

        await AssertUnauthorizedAsync(response, "stream_token", "not valid");
    }

    [Fact]
    public async Task EventsSse_StreamTokenWithCancelOnDisconnect_Refused403AsReadOnly()
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, token, _) = await SubmitAsync(server);

        using var response = await server.Client.GetAsync($"/v1/jobs/{id}/events?cancel_on_disconnect=true&stream_token={token}");
        var problem = await TestServer.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("cancel_on_disconnect", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task StreamToken_KeysOff_NoneIssuedAndStreamsAnswerAsBefore()
    {
        await using var server = await TestServer.StartAsync();
        var (response, job) = await server.PostJobAsync("""{"model":"echo","input":{"x":1}}""", waitSeconds: 10);
        var id = job.GetProperty("id").GetString()!;

        using var events = await server.Client.GetAsync($"/v1/jobs/{id}/events?stream_token=anything");
        using var models = await server.Client.GetAsync("/v1/models?stream_token=anything");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(job.TryGetProperty("stream_token", out _));
        Assert.False(job.TryGetProperty("stream_token_expires_at", out _));
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    [Fact]
    public async Task EventsSse_StreamTokenInTheUrl_NeverLoggedEvenWithRequestLogging()
    {
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Keys) { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information" },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        var (id, token, _) = await SubmitAsync(server);

        using (var response = await OpenEventsAsync(server, id, token))
        {
            await response.Content.ReadAsStringAsync();
        }

        using (var refused = await server.Client.GetAsync($"/v1/models?stream_token={token}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The host's request log names the URL, with the token's value replaced.
        var entries = logs.Entries;
        Assert.Contains(entries, e => e.Message.Contains($"/v1/jobs/{id}/events?stream_token=[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Message.Contains(token, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Stream_Token")]
    [InlineData("STREAM_TOKEN")]
    [InlineData("stream%5Ftoken")]
    [InlineData("%73tream_token")]
    public async Task EventsSse_StreamTokenNameSpeltOtherwise_AcceptedAndNeverLogged(string name)
    {
        // ASP.NET Core reads query names decoded and without regard to case, so each spelling opens the stream; the
        // request log shows the URL as sent, so the redaction must recognise each spelling too.
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Keys) { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information" },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        var (id, token, _) = await SubmitAsync(server);

        // Over a bare socket: HttpClient would unescape %73 and %5F, which are unreserved, before sending.
        var (status, _, body) = await RawHttp.SendAsync(server.BaseAddress,
            $"GET /v1/jobs/{id}/events?{name}={Uri.EscapeDataString(token)} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\nConnection: close", [], TimeSpan.FromSeconds(30));
        Assert.Equal(200, status);
        Assert.Contains("event: completed", body, StringComparison.Ordinal);

        var entries = logs.Entries;
        Assert.Contains(entries, e => e.Message.Contains($"/v1/jobs/{id}/events?{name}=[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Message.Contains(token, StringComparison.Ordinal) || e.Message.Contains(Uri.EscapeDataString(token), StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenApi_EventStreams_DeclareTheStreamTokenSchemeAndParameter()
    {
        await using var server = await TestServer.StartAsync(Keys);

        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));
        var root = doc.RootElement;

        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("stream_token");
        Assert.Equal("query", scheme.GetProperty("in").GetString());
        Assert.Equal("stream_token", scheme.GetProperty("name").GetString());
        foreach (var path in new[] { "/v1/jobs/{id}/events", "/v1/jobs/{id}/ws" })
        {
            var operation = root.GetProperty("paths").GetProperty(path).GetProperty("get");
            Assert.Contains(operation.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("stream_token", out _));
            Assert.Contains(operation.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "stream_token");
        }

        var getJob = root.GetProperty("paths").GetProperty("/v1/jobs/{id}").GetProperty("get");
        Assert.DoesNotContain(getJob.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("stream_token", out _));
    }

    [Fact]
    public async Task EventsSse_NoSecretConfiguredTokenSignedFromTheKeysHashAlone_Refused401()
    {
        await using var server = await TestServer.StartAsync(Keys);
        var (id, _, _) = await SubmitAsync(server);
        // What the server used to sign with when no StreamTokenSecret was set: a key derived from the key's SHA-256
        // (a value that sits in configuration) under an empty secret, so anyone who read that could make tokens.
        var hash = System.Security.Cryptography.SHA256.HashData("alice-secret"u8);
        var key = System.Security.Cryptography.HMACSHA256.HashData(Array.Empty<byte>(), (byte[])[.. "sluice stream token v1\n"u8, .. hash]);
        var payload = System.Text.Encoding.UTF8.GetBytes($"{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}\n{id}\nalice");
        var forged = "st1." + System.Buffers.Text.Base64Url.EncodeToString(payload) + "." + System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(key, payload));

        using var response = await OpenEventsAsync(server, id, forged);

        await AssertUnauthorizedAsync(response, "stream_token", "not valid");
    }

    [Fact]
    public async Task EventsSse_NoSecretConfiguredTokenOfAnotherServerOnTheSameStore_Accepted()
    {
        var dataDir = Directory.CreateTempSubdirectory("sluice-token-secret-").FullName;
        string id;
        string token;
        await using (var first = await TestServer.StartAsync(Keys, dataDir))
        {
            (id, token, _) = await SubmitAsync(first);
            await first.StopKeepingDataAsync();
        }

        // A second server process on the same SQLite file: the generated secret is the store's, not the process's.
        await using var second = await TestServer.StartAsync(Keys, dataDir);
        using var response = await OpenEventsAsync(second, id, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((await SubmitAsync(second)).Token.Length, token.Length);
    }

    [Fact]
    public async Task EventsSse_SecretConfigured_WinsOverTheStoredSecret()
    {
        var dataDir = Directory.CreateTempSubdirectory("sluice-token-secret-").FullName;
        var secret = new string('s', 40);
        string id;
        string storedToken;
        await using (var first = await TestServer.StartAsync(Keys, dataDir))
        {
            (id, storedToken, _) = await SubmitAsync(first);
            await first.StopKeepingDataAsync();
        }

        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var second = await TestServer.StartAsync(new Dictionary<string, string>(Keys) { ["Sluice:Auth:StreamTokenSecret"] = secret, ["Logging:LogLevel:Sluice"] = "Information" }, dataDir,
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        var (_, configuredToken, _) = await SubmitAsync(second);
        using var stored = await OpenEventsAsync(second, id, storedToken);
        // A gateway with the same key and secret, and no store at all, verifies the token: the secret alone signed it.
        var options = Microsoft.Extensions.Options.Options.Create(new Sluice.Server.Admission.AuthOptions { Keys = [new Sluice.Server.Admission.ApiKeyOptions { Id = "alice", Key = "alice-secret" }], StreamTokenSecret = secret });
        var tokens = new Sluice.Server.Admission.StreamTokens(new Sluice.Server.Admission.ApiKeyAuthenticator(options), options, TimeProvider.System);

        await AssertUnauthorizedAsync(stored, "stream_token", "not valid");
        Assert.Equal(Sluice.Server.Admission.StreamTokenCheck.Valid, tokens.Check(configuredToken, ParseJobId(configuredToken), out _));
        Assert.Contains(logs.Entries, e => e.Message.Contains("configured Sluice:Auth:StreamTokenSecret", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_NoSecretConfigured_LogsTheStoreAsTheSourceNeverTheSecret()
    {
        var logs = new RecordingLoggerProvider(LogLevel.Information);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Keys) { ["Logging:LogLevel:Sluice"] = "Information" },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        await using var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.DataDir, "sluice.db")};Mode=ReadOnly;Pooling=False");
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT value FROM secrets WHERE name = 'stream_token'";
        var secret = (byte[])(await cmd.ExecuteScalarAsync())!;

        Assert.Equal(32, secret.Length);
        Assert.Single(logs.Entries, e => e.Message.Contains("generated once and kept in the job store", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(Convert.ToBase64String(secret), StringComparison.Ordinal) || e.Message.Contains(Convert.ToHexString(secret), StringComparison.OrdinalIgnoreCase));
    }

    private static string ParseJobId(string token) =>
        System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1])).Split('\n')[1];

    /// <summary>Submits an echo job with the key, waiting for its end; its id and the stream token of the answer.</summary>
    private static async Task<(string Id, string Token, DateTimeOffset ExpiresAt)> SubmitAsync(TestServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("""{"model":"echo","input":{"x":1}}""") };
        request.Headers.Add("X-Api-Key", "alice-secret");
        request.Headers.Add("Prefer", "wait=10");
        using var response = await server.Client.SendAsync(request);
        var job = await TestServer.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, job.GetRawText());
        return (job.GetProperty("id").GetString()!, job.GetProperty("stream_token").GetString()!, job.GetProperty("stream_token_expires_at").GetDateTimeOffset());
    }

    /// <summary>The job's SSE stream opened as a browser does: no key, the token in the query.</summary>
    private static async Task<HttpResponseMessage> OpenEventsAsync(TestServer server, string id, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events?stream_token={Uri.EscapeDataString(token)}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string field, string detail)
    {
        var problem = await TestServer.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
