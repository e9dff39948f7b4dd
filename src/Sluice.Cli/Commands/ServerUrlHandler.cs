namespace Sluice.Cli.Commands;

/// <summary>
/// Records which URL a failed request went to, so that <see cref="CliErrors"/> can name it: the exception of a
/// refused connection only names the host and port.
/// </summary>
internal sealed class ServerUrlHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            ex.Data[CliErrors.UrlKey] = request.RequestUri?.ToString();
            throw;
        }
    }
}
