namespace Sluice.Server.Http;

/// <summary>
/// Declares, as endpoint metadata read only when the OpenAPI document is built, what a handler reads and sends by
/// hand: its JSON body, the query parameters and request headers it parses, and the response headers it sets.
/// </summary>
internal static class DocumentationExtensions
{
    /// <summary>Documents <typeparamref name="T"/> as the endpoint's JSON body (see <see cref="JsonRequestBody"/>).</summary>
    public static RouteHandlerBuilder DocumentsJsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new JsonRequestBody(typeof(T)));

    /// <summary>Documents query parameters and request headers the handler parses itself (see <see cref="DocumentedParameter"/>).</summary>
    public static RouteHandlerBuilder DocumentsParameters(this RouteHandlerBuilder builder, params DocumentedParameter[] parameters)
    {
        foreach (var parameter in parameters)
        {
            builder.WithMetadata(parameter);
        }

        return builder;
    }

    /// <summary>Documents response headers the handler sets on answers with the given statuses.</summary>
    public static RouteHandlerBuilder DocumentsResponseHeaders(this RouteHandlerBuilder builder, IReadOnlyList<int> statuses, params DocumentedHeader[] headers) =>
        builder.WithMetadata(new DocumentedResponseHeaders(statuses, headers));

    /// <summary>Documents a <c>text/event-stream</c> 200 answer (see <see cref="DocumentedEventStream"/>).</summary>
    public static RouteHandlerBuilder DocumentsEventStream(this RouteHandlerBuilder builder, string description) =>
        builder.WithMetadata(new DocumentedEventStream(description));
}
