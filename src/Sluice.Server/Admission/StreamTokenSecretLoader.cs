using System.Security.Cryptography;
using Sluice.Core.Storage;

namespace Sluice.Server.Admission;

/// <summary>
/// Gives <see cref="StreamTokens"/> its secret at start when <see cref="AuthOptions.StreamTokenSecret"/> is not set: a
/// random one, stored in the job store the first time (insert-if-absent, so gateways starting together agree) and read
/// from it afterwards, so every gateway on the store and every restart verifies the tokens of the others. Runs after
/// the store is open (<c>ModelHost</c> starts first) and before the server listens. Logs where the secret came from,
/// never the secret.
/// </summary>
internal sealed partial class StreamTokenSecretLoader(StreamTokens tokens, IJobStore store, ILogger<StreamTokenSecretLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!tokens.Enabled)
        {
            // No keys: no token is issued, and none is needed to open a stream.
            return;
        }

        if (tokens.Configured)
        {
            Log.Configured(logger);
            return;
        }

        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var secret = await store.GetOrAddSecretAsync(StreamTokens.StoredSecretName, RandomNumberGenerator.GetBytes(StreamTokens.GeneratedSecretBytes), cancellationToken).ConfigureAwait(false);
        tokens.UseStoredSecret(secret);
        Log.Stored(logger);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "Stream tokens are signed with the configured Sluice:Auth:StreamTokenSecret")]
        public static partial void Configured(ILogger logger);

        [LoggerMessage(EventId = 1022, Level = LogLevel.Information, Message = "Stream tokens are signed with a secret generated once and kept in the job store (Sluice:Auth:StreamTokenSecret is not set), shared by every gateway on that store")]
        public static partial void Stored(ILogger logger);
    }
}
