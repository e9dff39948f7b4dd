namespace Sluice.Server.Admission;

/// <summary>
/// Endpoint metadata that renders admission rejections in the endpoint's own error shape (the OpenAI-compatible
/// endpoints answer in OpenAI's <c>{"error": {...}}</c> shape, which its SDKs parse). Without it, problem details.
/// </summary>
internal interface IAdmissionErrorFormatter
{
    IResult Unauthorized(string detail);

    IResult RateLimited(string detail);
}
