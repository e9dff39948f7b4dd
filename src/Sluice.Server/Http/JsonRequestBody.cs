namespace Sluice.Server.Http;

/// <summary>
/// Endpoint metadata naming the documented JSON body of a handler that reads and validates its body itself
/// (<see cref="JsonBody"/>), so the OpenAPI document can show its schema. Unlike <c>Accepts&lt;T&gt;()</c> it adds no
/// content-type constraint: routing would answer 415 before the handler could return its own problem details.
/// </summary>
internal sealed record JsonRequestBody(Type Type);
