namespace Sluice.Server.Http;

/// <summary>Endpoint metadata: <see cref="Headers"/> may come with the answers of these <see cref="Statuses"/>.</summary>
internal sealed record DocumentedResponseHeaders(IReadOnlyList<int> Statuses, IReadOnlyList<DocumentedHeader> Headers);
