using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Server.Contracts;
using Sluice.Server.Hosting;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// Streams a job's events over SSE or WebSocket: replay after <c>Last-Event-ID</c> first, then live events,
/// keep-alives while idle, and the stream ends after the terminal event. A job no longer held in memory is
/// replayed from the store (a finished job whose events were not kept gets one synthesised terminal event).
/// </summary>
internal static class EventStreaming
{
    /// <summary>Store polling of a stream whose job is not live here: from a quarter second, slowing to 2 s while idle.</summary>
    private static readonly TimeSpan StorePollMin = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc cref="StorePollMin"/>
    private static readonly TimeSpan StorePollMax = TimeSpan.FromSeconds(2);

    public static async Task StreamSseAsync(HttpContext http, JobService jobs, JobRecord job, long afterId, TimeSpan keepAlive, bool cancelOnDisconnect)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers.ContentEncoding = "identity";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        // Keep-alives and events that stay unacknowledged for two intervals abort the connection: a client that
        // vanished answers nothing, and its stream (and job) would otherwise run until TCP gave up, minutes later.
        var socket = UnacknowledgedSendBound.Apply(http, keepAlive);
        try
        {
            await response.StartAsync(http.RequestAborted).ConfigureAwait(false);
            var writer = new SseWriter(response.Body);
            await RunAsync(http, jobs, job, afterId, keepAlive, cancelOnDisconnect, writer.WriteEventAsync, writer.WriteCommentAsync).ConfigureAwait(false);
        }
        finally
        {
            UnacknowledgedSendBound.Clear(socket);
        }
    }

    /// <summary>A pong deadline that never comes: the pings go on (something for the client to answer), ClientProgressWatch judges.</summary>
    private static readonly TimeSpan PongNeverDue = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>How late after a keep-alive interval of silence the WebSocket's ping may go out (its heartbeat, at least a second).</summary>
    private static readonly TimeSpan PingGranularity = TimeSpan.FromSeconds(1);

    /// <returns>False when Kestrel refused the upgrade (Sluice:Http:MaxConcurrentUpgradedConnections reached); nothing was sent then.</returns>
    public static async Task<bool> StreamWebSocketAsync(HttpContext http, JobService jobs, JobRecord job, long afterId, TimeSpan keepAlive, bool cancelOnDisconnect)
    {
        // Pings after every keep-alive interval the client is silent. A client that vanished without closing TCP (a
        // laptop lid, a dropped NAT mapping) answers none, and the socket is aborted, which ends the stream (and with
        // cancel_on_disconnect, the job); unanswered, the unsolicited pongs of a bare KeepAliveInterval kept such a
        // stream open until TCP itself gave up, if it ever did. Where the kernel shows the client's progress, a late
        // pong is no verdict (a slow reader answers each ping only once its reads reach it, behind the data before it):
        // the client is dropped when it has neither answered nor read anything for two intervals and a second (the
        // granularity of the pings). Elsewhere (HTTP/2, not Linux) each ping is due within an interval, as before.
        var tcp = ClientProgressWatch.TryGetSocket(http);
        WebSocket accepted;
        try
        {
            accepted = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = keepAlive,
                KeepAliveTimeout = tcp is null ? keepAlive : PongNeverDue,
            }).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (!http.Response.HasStarted && IsUpgradeLimit(http, ex))
        {
            // Kestrel's upgraded-connection limit: the caller answers 503, not the unhandled 500 this would be. Any
            // other refusal (a bug, a handshake the middleware rejects) stays an exception, so it is not mislabelled.
            return false;
        }

        using var socket = accepted;
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        // Read side: notices the client closing (the only message we expect from it).
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[256];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var r = await socket.ReceiveAsync(buffer, closed.Token).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }

            await closed.CancelAsync().ConfigureAwait(false);
        });
        var watch = tcp is null ? Task.CompletedTask : ClientProgressWatch.WatchAsync(tcp, keepAlive * 2 + PingGranularity, socket.Abort, http.RequestServices.GetRequiredService<TimeProvider>(), closed.Token);
        async ValueTask Send(JobEvent e, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            using var doc = JsonDocument.Parse(e.DataJson);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new WsEvent(e.Id, e.Type, doc.RootElement), ServerJsonContext.Default.WsEvent);
            // Not ct: cancelling a pending send aborts the socket, so a client's close frame arriving mid-send (which
            // cancels ct) left its close unanswered (1006). The stream stops at ct between sends; a send to a client
            // that vanished is ended by ClientProgressWatch (or the unanswered ping) aborting the connection.
            await socket.SendAsync(bytes, WebSocketMessageType.Text, true, http.RequestAborted).ConfigureAwait(false);
        }

        try
        {
            // The client's close frame (or its socket breaking) cancels closed.Token: that is how a WebSocket client
            // goes away, so it is also what cancel_on_disconnect watches (RequestAborted does not fire for it).
            await RunAsync(http, jobs, job, afterId, keepAlive, cancelOnDisconnect, Send, static (_) => ValueTask.CompletedTask, closed.Token).ConfigureAwait(false);
            if (socket.State == WebSocketState.CloseReceived)
            {
                // The client closed first: answer its close frame (RFC 6455 §5.5.1), or it sees an abnormal closure (1006).
                await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
            else if (socket.State == WebSocketState.Open)
            {
                // 1001 "going away" when the server stops mid-stream, so the client knows to reconnect with last_event_id.
                var stopping = http.RequestServices.GetRequiredService<ShutdownReadiness>().ListenersClosing.IsCancellationRequested;
                await socket.CloseOutputAsync(stopping ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure,
                    stopping ? "server stopping; reconnect with last_event_id" : "stream ended", CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        // Give the client time to answer our close frame; cancelling a pending receive aborts the socket.
        if (await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != reader)
        {
            await closed.CancelAsync().ConfigureAwait(false);
        }

        await reader.ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="ex"/> is Kestrel refusing an HTTP/1.1 upgrade for MaxConcurrentUpgradedConnections. Kestrel
    /// exposes no flag or feature for it: the one signal is this exception with its own message, so the message is read
    /// from Kestrel's resources (whatever their wording in this version) rather than written out here.
    /// </summary>
    private static bool IsUpgradeLimit(HttpContext http, InvalidOperationException ex) =>
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && string.Equals(ex.Message, KestrelUpgradeLimitMessage.Value, StringComparison.Ordinal);

    /// <summary>Kestrel's <c>CoreStrings.UpgradedConnectionLimitReached</c> (its resources are not localised).</summary>
    private static readonly Lazy<string> KestrelUpgradeLimitMessage = new(static () =>
        new System.Resources.ResourceManager("Microsoft.AspNetCore.Server.Kestrel.Core.CoreStrings", typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly)
            .GetString("UpgradedConnectionLimitReached", CultureInfo.InvariantCulture) ?? "Request cannot be upgraded because the server has already opened the maximum number of upgraded connections.");

    private static async Task RunAsync(HttpContext http, JobService jobs, JobRecord job, long afterId, TimeSpan keepAlive, bool cancelOnDisconnect,
        Func<JobEvent, CancellationToken, ValueTask> send, Func<CancellationToken, ValueTask> ping, CancellationToken? token = null)
    {
        // A stopping server ends its streams when its listeners close (at SIGTERM, or after Sluice:Http:ShutdownDelaySeconds
        // of serving while not ready), so clients resume with Last-Event-ID on another gateway instead of being held
        // until the host aborts them at the end of its shutdown timeout.
        var stopping = http.RequestServices.GetRequiredService<ShutdownReadiness>().ListenersClosing;
        var clientGone = token ?? http.RequestAborted;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientGone, stopping);
        var ct = linked.Token;
        var terminalSeen = false;
        var sendFailed = false;
        try
        {
            var follow = true;
            while (follow && jobs.Events.TrySubscribe(job.Id, afterId, out var sub))
            {
                using (sub)
                {
                    while (true)
                    {
                        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        idle.CancelAfter(keepAlive);
                        bool more;
                        try
                        {
                            more = await sub.Reader.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            await ping(ct).ConfigureAwait(false);
                            continue;
                        }

                        if (!more)
                        {
                            break;
                        }

                        while (sub.Reader.TryRead(out var e))
                        {
                            if (e.Id <= afterId)
                            {
                                // A Last-Event-ID ahead of the stream: what the client says it has is not sent again.
                                continue;
                            }

                            await send(e, ct).ConfigureAwait(false);
                            afterId = e.Id;
                            terminalSeen |= e.IsTerminal;
                        }
                    }
                }

                // Ended before its terminal event because a requeue replaced the stream: follow the next run's stream,
                // live from its queued event ({"requeued":true}, the run boundary), as a new subscriber would, rather
                // than the store, which (embedded, SQLite) holds a run's events only once that run has ended.
                follow = !terminalSeen && sub.Superseded;
            }

            if (!terminalSeen)
            {
                // Not (or no longer) live in this process: replay from the store, polling until it ends. The poll
                // slows down while nothing happens (a job waiting for a model that is not served may wait for hours),
                // and keep-alives go out at their interval, not at every poll.
                var poll = StorePollMin;
                var lastWrite = Stopwatch.GetTimestamp();
                while (!ct.IsCancellationRequested)
                {
                    var stored = await jobs.Store.GetEventsAsync(job.Id, afterId, ct).ConfigureAwait(false);
                    foreach (var e in stored)
                    {
                        await send(e, ct).ConfigureAwait(false);
                        afterId = e.Id;
                        terminalSeen |= e.IsTerminal;
                    }

                    if (stored.Count > 0)
                    {
                        poll = StorePollMin;
                        lastWrite = Stopwatch.GetTimestamp();
                    }

                    if (terminalSeen)
                    {
                        break;
                    }

                    var current = await jobs.Store.GetAsync(job.Id, ct).ConfigureAwait(false);
                    if (current is null)
                    {
                        break;
                    }

                    if (current.Status.IsTerminal())
                    {
                        stored = await jobs.Store.GetEventsAsync(job.Id, afterId, ct).ConfigureAwait(false);
                        foreach (var e in stored)
                        {
                            await send(e, ct).ConfigureAwait(false);
                            afterId = e.Id;
                            terminalSeen |= e.IsTerminal;
                        }

                        if (!terminalSeen)
                        {
                            await SendTerminalOnceAsync(jobs, current, afterId, send, ct).ConfigureAwait(false);
                        }

                        break;
                    }

                    if (Stopwatch.GetElapsedTime(lastWrite) >= keepAlive)
                    {
                        await ping(ct).ConfigureAwait(false);
                        lastWrite = Stopwatch.GetTimestamp();
                    }

                    // Never past the next keep-alive, whatever the poll interval has grown to.
                    var untilPing = keepAlive - Stopwatch.GetElapsedTime(lastWrite);
                    await Task.Delay(untilPing > TimeSpan.Zero && untilPing < poll ? untilPing : poll, ct).ConfigureAwait(false);
                    poll = poll * 2 > StorePollMax ? StorePollMax : poll * 2;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or WebSocketException)
        {
            // A send to a client that has gone: it can fail before the token that says so is cancelled.
            sendFailed = true;
        }

        // Only a client that went away cancels: a stream ended (or aborted) by the server stopping does not.
        if (!terminalSeen && cancelOnDisconnect && (sendFailed || clientGone.IsCancellationRequested) && !stopping.IsCancellationRequested)
        {
            await jobs.CancelAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The job ended but no terminal event came after <paramref name="afterId"/> (by now the last stored event sent,
    /// or the client's own): either the client already has it (an EventSource reconnects after every stream end,
    /// with the id it last saw), or the store kept no terminal event, which is then synthesised with the id after
    /// the last stored one, so a reconnect never gets it twice.
    /// </summary>
    private static async ValueTask SendTerminalOnceAsync(JobService jobs, JobRecord job, long afterId, Func<JobEvent, CancellationToken, ValueTask> send, CancellationToken ct)
    {
        if (!await HasSeenEndAsync(jobs, job, afterId, ct).ConfigureAwait(false))
        {
            await send(Synthesised(job, afterId + 1), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when a finished job has nothing after <paramref name="afterId"/> to send: the client already has the
    /// terminal event, which is always the last one (or the one that would be synthesised for it).
    /// </summary>
    public static async ValueTask<bool> HasSeenEndAsync(JobService jobs, JobRecord job, long afterId, CancellationToken ct)
    {
        if (afterId <= 0 || !job.Status.IsTerminal())
        {
            return false;
        }

        // The events from afterId on: none means the client is past the last stored one; only the event it names,
        // terminal, means it has the end.
        var tail = await jobs.Store.GetEventsAsync(job.Id, afterId - 1, ct).ConfigureAwait(false);
        return tail.Count == 0 || (tail.Count == 1 && tail[0].Id == afterId && tail[0].IsTerminal);
    }

    private static JobEvent Synthesised(JobRecord job, long id)
    {
        var status = JsonSerializer.Serialize(job.Status.ToWire(), ServerJsonContext.Default.String);
        var data = job.Status == JobStatus.Succeeded
            ? $"{{\"status\":{status},\"result\":{job.ResultJson ?? "null"}}}"
            : $"{{\"status\":{status},\"error\":{JsonSerializer.Serialize(job.Error ?? job.Status.ToWire(), ServerJsonContext.Default.String)}}}";
        return new JobEvent(job.Id, id, JobEventTypes.ForStatus(job.Status), data, job.CompletedAt ?? DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Reads where to resume (<c>Last-Event-ID</c>, or the <c>last_event_id</c> query for clients that cannot set
    /// headers) and <c>cancel_on_disconnect</c>; a value that is not what the API documents is a 400 naming it rather
    /// than a silent full replay.
    /// </summary>
    public static bool TryReadStreamOptions(HttpRequest request, out long afterId, out bool cancelOnDisconnect, [NotNullWhen(false)] out IResult? error)
    {
        afterId = 0;
        cancelOnDisconnect = false;
        error = null;
        var field = "Last-Event-ID";
        var value = request.Headers[field].ToString();
        if (string.IsNullOrEmpty(value))
        {
            field = "last_event_id";
            value = request.Query[field].ToString();
        }

        if (value.Length > 0 && !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
        {
            error = Problems.BadRequest(field, $"'{Truncate(value)}' is not an event id; send the id of the last event received (a whole number, 0 for all)");
            return false;
        }

        var cancel = request.Query["cancel_on_disconnect"].ToString();
        if (cancel.Length > 0 && !QueryFlag.TryParse(cancel, out cancelOnDisconnect))
        {
            error = Problems.BadRequest("cancel_on_disconnect", $"'{Truncate(cancel)}' is not true or false");
            return false;
        }

        return true;

        static string Truncate(string v) => v.Length <= 40 ? v : v[..40] + "…";
    }
}
