namespace Sluice.Server.Http;

/// <summary>Declares a hand-validated JSON body for the OpenAPI document.</summary>
internal static class JsonRequestBodyExtensions
{
    /// <summary>Documents <typeparamref name="T"/> as the endpoint's JSON body (see <see cref="JsonRequestBody"/>).</summary>
    public static RouteHandlerBuilder DocumentsJsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new JsonRequestBody(typeof(T)));
}
