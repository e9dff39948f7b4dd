using Microsoft.AspNetCore.Antiforgery;
using Sluice.Blog.Api;

namespace Sluice.Blog.Hosting;

/// <summary>
/// A form POST whose antiforgery token is missing or wrong gets a problem naming the token's field. Without this,
/// minimal APIs answer an empty 400 when they bind the form, which tells the user nothing (an expired page, a
/// second tab that signed out).
/// </summary>
internal sealed class AntiforgeryProblemMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var validation = context.Features.Get<IAntiforgeryValidationFeature>();
        if (validation is { IsValid: false })
        {
            var field = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AntiforgeryOptions>>().Value.FormFieldName;
            return BlogProblems.Field(StatusCodes.Status400BadRequest, "Form expired or forged", field,
                "The form's antiforgery token is missing or does not match this browser's: reload the page and send it again.").ExecuteAsync(context);
        }

        return next(context);
    }
}
