using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// What a worker (<c>--role worker</c>) answers in place of the public API: it runs models only, so a request
/// under /v1 gets a 404 problem pointing at the gateway instead of being accepted by a process that is not one.
/// </summary>
internal static class WorkerApi
{
    public const string Detail = "this process is a worker (--role worker): it runs models and serves only /health/* and /metrics; send API requests to a gateway";

    public static IEndpointRouteBuilder MapWorkerApi(this IEndpointRouteBuilder app)
    {
        app.Map("/v1/{**rest}", NotAGateway).ExcludeFromDescription();
        // The built-in page (and "/", which leads to it) calls the API, so it is the gateways' too.
        app.Map("/ui/{**rest}", NotAGateway).ExcludeFromDescription();
        app.Map("/", NotAGateway).ExcludeFromDescription();
        return app;
    }

    private static IResult NotAGateway() => Problems.Create(StatusCodes.Status404NotFound, "Not a gateway", Detail, type: "not-a-gateway");
}
