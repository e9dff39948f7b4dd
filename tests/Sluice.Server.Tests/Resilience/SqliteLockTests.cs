using System.Net;
using Microsoft.Data.Sqlite;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Resilience;

/// <summary>
/// The real SQLite file of a running server, its write lock held by another connection (as a <c>sqlite3</c> shell in
/// a transaction holds it): writes fail after the busy timeout and every endpoint answers 503, never 500.
/// </summary>
public sealed class SqliteLockTests
{
    [Theory]
    [InlineData("POST", "/v1/dead-letters/{id}/requeue")]
    [InlineData("POST", "/v1/jobs")]
    public async Task Write_AnotherConnectionHoldsTheWriteLock_AnswersProblem503ThenWorksOnceReleased(string method, string path)
    {
        // SQLITE_BUSY (and SQLITE_FULL, an I/O error) left the store as a SqliteException, which only the submit path
        // caught: a requeue of a dead letter answered 500 while the lock was held.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
        });
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal("dead_lettered", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20))).GetProperty("status").GetString());
        HttpRequestMessage Request() => new(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal))
        {
            Content = method == "POST" && path == "/v1/jobs" ? TestServer.Json("{\"model\":\"echo\",\"input\":{\"x\":1}}") : null,
        };

        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(server.DataDir, "sluice.db"), Pooling = false }.ToString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE;";
            await begin.ExecuteNonQueryAsync();
        }

        using (var locked = await server.Client.SendAsync(Request()))
        {
            Assert.True(locked.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)locked.StatusCode}: {await locked.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", locked.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(locked.Headers.RetryAfter);
        }

        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        using var released = await server.Client.SendAsync(Request());
        Assert.Equal(HttpStatusCode.Accepted, released.StatusCode);
    }
}
