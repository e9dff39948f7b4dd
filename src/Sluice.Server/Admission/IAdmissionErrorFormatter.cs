namespace Sluice.Server.Admission;

/// <summary>
/// Endpoint metadata that renders admission (and other early) rejections in the endpoint's own error shape (the OpenAI-compatible
/// endpoints answer in OpenAI's <c>{"error": {...}}</c> shape, which its SDKs parse). Without it, problem details.
/// </summary>
internal interface IAdmissionErrorFormatter
{
    IResult Unauthorized(string detail);

    IResult RateLimited(string detail);

    /// <summary>Another early rejection of the pipeline (a body over its limit), given as problem details, in this shape.</summary>
    IResult FromProblem(IResult problem);
}
