using Microsoft.AspNetCore.Diagnostics;
using Sluice.Server.Admission;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// Writes the problems ASP.NET Core answers by itself (an unhandled exception's 500, a store or broker outage's 503
/// from <see cref="UnavailableExceptionHandler"/>) in OpenAI's error shape on the OpenAI-compatible endpoints, whose
/// clients parse nothing else. An endpoint opts in with <see cref="IAdmissionErrorFormatter"/> metadata, as it does
/// for admission's answers; every other endpoint keeps problem details (the default writer).
/// </summary>
internal sealed class OpenAiProblemDetailsWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context)
    {
        // The exception handler clears the endpoint before answering; it keeps it in its feature and the context.
        var metadata = context.AdditionalMetadata
            ?? context.HttpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata
            ?? context.HttpContext.GetEndpoint()?.Metadata;
        return metadata?.GetMetadata<IAdmissionErrorFormatter>() is OpenAiAdmissionErrors;
    }

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ProblemDefaults.Fill(context);
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var code = status == StatusCodes.Status503ServiceUnavailable ? "service_unavailable" : null;
        return new ValueTask(OpenAiErrors.Create(status, problem.Detail ?? problem.Title ?? "the server failed to handle the request", OpenAiErrorTypes.Server, null, code)
            .ExecuteAsync(context.HttpContext));
    }
}
