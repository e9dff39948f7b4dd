using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Sluice.Server.Admission;

namespace Sluice.Server.Http;

/// <summary>
/// Gives each request the body limit of its endpoint as soon as it is routed, before admission or the handler run:
/// an endpoint that reads a JSON body (<see cref="JsonRequestBody"/>) takes up to <see cref="HttpOptions.MaxBodyBytes"/>
/// (<see cref="JsonBody"/> answers a larger one), any other (GET, HEAD, DELETE, a requeue, the probes, no route at
/// all) at most <see cref="NoBodyMaxBytes"/>. Without it such a request kept Kestrel's ceiling, so a client could
/// stream hundreds of MiB at a GET, and a body refused by admission was drained up to that ceiling too.
/// </summary>
internal sealed class BodyLimitMiddleware(RequestDelegate next, IOptions<HttpOptions> options)
{
    /// <summary>Largest body of a request to an endpoint that reads none; larger is a 413.</summary>
    public const long NoBodyMaxBytes = 16 * 1024;

    public Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        var readsBody = endpoint?.Metadata.GetMetadata<JsonRequestBody>() is not null;
        // JsonBody reads one byte past its limit to tell "too large" from "exactly at the limit" itself.
        var limit = readsBody ? options.Value.MaxBodyBytes + 1 : NoBodyMaxBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Also bounds what Kestrel drains of a body the handler left unread (chunked, so of unknown length).
            size.MaxRequestBodySize = limit;
        }

        if (!readsBody && http.Request.ContentLength > NoBodyMaxBytes)
        {
            if (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol))
            {
                // The body is not read: the connection closes after the answer rather than draining it.
                http.Response.Headers.Connection = "close";
            }

            var problem = Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"{http.Request.Method} {http.Request.Path} takes no request body; at most {NoBodyMaxBytes} bytes are accepted", "body");
            // In the endpoint's own error shape where it has one (OpenAI's, which OpenAI clients parse), as its handler answers.
            var shape = endpoint?.Metadata.GetMetadata<IAdmissionErrorFormatter>();
            return (shape is null ? problem : shape.FromProblem(problem)).ExecuteAsync(http);
        }

        return next(http);
    }
}
