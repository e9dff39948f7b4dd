using Sluice.Server.Admission;

namespace Sluice.Server.Apis;

/// <summary>Admission and other early rejections of the OpenAI-compatible endpoints, in OpenAI's error shape.</summary>
internal sealed class OpenAiAdmissionErrors : IAdmissionErrorFormatter
{
    public static readonly OpenAiAdmissionErrors Instance = new();

    public IResult Unauthorized(string detail) => OpenAiErrors.Create(401, "Incorrect API key provided: " + detail, OpenAiErrorTypes.InvalidRequest, null, "invalid_api_key");

    public IResult RateLimited(string detail) => OpenAiErrors.Create(429, "Rate limit reached for requests: " + detail, OpenAiErrorTypes.Requests, null, "rate_limit_exceeded");

    public IResult FromProblem(IResult problem) => OpenAiErrors.FromProblem(problem);
}
