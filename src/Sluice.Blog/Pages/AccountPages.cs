using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.RateLimiting;
using Sluice.Blog.Domain;
using Sluice.Blog.Observability;
using Sluice.Blog.Security;
using Sluice.Blog.Storage;

namespace Sluice.Blog.Pages;

/// <summary>Register, sign in and sign out, with a cookie; every POST carries the antiforgery token.</summary>
internal static class AccountPages
{
    public static IEndpointRouteBuilder MapAccountPages(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/register", (HttpContext context) => Form(context, register: true, null, new FieldErrors(), null));
        routes.MapPost("/register", RegisterAsync).RequireRateLimiting(AccountLimiterPolicy.Register);
        routes.MapGet("/login", (HttpContext context, string? returnUrl) => Form(context, register: false, null, new FieldErrors(), returnUrl));
        routes.MapPost("/login", LoginAsync).RequireRateLimiting(AccountLimiterPolicy.SignIn);
        routes.MapPost("/logout", LogoutAsync);
        return routes;
    }

    private static async Task<IResult> RegisterAsync(HttpContext context, IFormCollection form, IBlogStore store, BlogMetrics metrics)
    {
        var username = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var errors = UserRules.Validate(username, password);
        if (!errors.IsEmpty)
        {
            return Form(context, register: true, username, errors, null);
        }

        var user = await store.CreateUserAsync(username, PasswordHasher.Hash(password), context.RequestAborted);
        if (user is null)
        {
            errors.Add("username", "That username is taken.");
            return Form(context, register: true, username, errors, null);
        }

        metrics.UserRegistered();
        await SignInAsync(context, user);
        return Results.Redirect($"/users/{Uri.EscapeDataString(user.Username)}", permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IFormCollection form, IBlogStore store, SignInUserLimiter limiter, UnknownUserHash unknownUser)
    {
        var username = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var returnUrl = form["returnUrl"].ToString();
        var errors = new FieldErrors();
        if (username.Length == 0)
        {
            errors.Add("username", "Enter your username.");
        }

        if (password.Length == 0 || password.Length > UserRules.MaxPasswordLength)
        {
            errors.Add("password", "Enter your password.");
        }

        if (!errors.IsEmpty)
        {
            return Form(context, register: false, username, errors, returnUrl);
        }

        if (!limiter.TryAcquire(username, out var retryAfter))
        {
            return TooMany(context, register: false, username, returnUrl, retryAfter);
        }

        var found = await store.FindCredentialsAsync(username, context.RequestAborted);
        // The same answer for an unknown name and a wrong password, so the form does not tell which names exist; an
        // unknown name still costs a hash, so the answer's timing does not tell either.
        if (!PasswordHasher.Verify(password, found?.PasswordHash ?? unknownUser.Value) || found is null)
        {
            errors.Add("password", "Wrong username or password.");
            return Form(context, register: false, username, errors, returnUrl);
        }

        await SignInAsync(context, found.User);
        return Results.Redirect(LocalUrl.OrHome(returnUrl));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IFormCollection form)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Results.Redirect("/");
    }

    private static Task SignInAsync(HttpContext context, BlogUser user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, user.Username)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        return context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>
    /// The rate limiter's refusal of a sign-in or registration from an address that tried too often: the form again,
    /// its name kept, 429 with <c>Retry-After</c> and the wait in words.
    /// </summary>
    internal static async ValueTask RateLimitedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var register = context.Request.Path.StartsWithSegments("/register");
        var window = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value.WindowSeconds;
        var retryAfter = AccountLimiterPolicy.RetryAfterSeconds(rejected.Lease, TimeSpan.FromSeconds(window));
        string? username = null, returnUrl = null;
        if (context.Request.HasFormContentType)
        {
            try
            {
                var form = await context.Request.ReadFormAsync(cancellationToken);
                username = form["username"].ToString().Trim();
                returnUrl = form["returnUrl"].ToString();
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                // A body that does not read only loses the values kept in the form; the refusal stands.
            }
        }

        await TooMany(context, register, username, returnUrl, retryAfter).ExecuteAsync(context);
    }

    private static IResult TooMany(HttpContext context, bool register, string? username, string? returnUrl, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var errors = new FieldErrors();
        errors.Add(register ? "username" : "password", string.Create(CultureInfo.InvariantCulture,
            $"Too many {(register ? "registrations" : "sign-in attempts")}; try again in {retryAfterSeconds} second{(retryAfterSeconds == 1 ? "" : "s")}."));
        return Form(context, register, username, errors, returnUrl, StatusCodes.Status429TooManyRequests);
    }

    private static IResult Form(HttpContext context, bool register, string? username, FieldErrors errors, string? returnUrl, int? status = null)
    {
        var title = register ? "Register" : "Sign in";
        var html = new StringBuilder();
        html.Append("<h1>").Append(title).Append("</h1><form method=\"post\" action=\"").Append(register ? "/register" : "/login")
            .Append("\" id=\"account-form\" novalidate>").Append(Html.Antiforgery(context));
        if (!register)
        {
            html.Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(Html.Encode(LocalUrl.OrHome(returnUrl))).Append("\">");
        }

        Html.Field(html, "Username", "username", username, errors.For("username"), extra: "autocomplete=\"username\" required");
        Html.Field(html, "Password", "password", null, errors.For("password"), "password",
            register ? "autocomplete=\"new-password\" required" : "autocomplete=\"current-password\" required");
        html.Append("<p><button type=\"submit\" id=\"submit\">").Append(title).Append("</button></p></form>");
        html.Append(register ? "<p>Have an account? <a href=\"/login\">Sign in</a></p>" : "<p>New here? <a href=\"/register\">Register</a></p>");
        return Html.Page(context, title, html.ToString(), status ?? (errors.IsEmpty ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest));
    }
}
