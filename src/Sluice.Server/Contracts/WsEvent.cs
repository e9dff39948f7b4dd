using System.Text.Json;

namespace Sluice.Server.Contracts;

/// <summary>One job event as a WebSocket text message.</summary>
public sealed record WsEvent(long Id, string Event, JsonElement Data);
