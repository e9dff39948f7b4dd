namespace Sluice.Server.Http;

/// <summary>
/// Endpoint metadata: the 200 answer may be a <c>text/event-stream</c> described by <see cref="Description"/>.
/// <c>Produces(200, contentType: "text/event-stream")</c> cannot say it: a response type without a body type gets no
/// content in the document, and it replaces a JSON answer declared for the same status.
/// </summary>
internal sealed record DocumentedEventStream(string Description);
