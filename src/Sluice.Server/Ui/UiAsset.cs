namespace Sluice.Server.Ui;

/// <summary>One file of the built-in web page, held in memory with its strong validator.</summary>
/// <param name="Content">The file's bytes as embedded in the assembly.</param>
/// <param name="ContentType">The media type it is served with.</param>
/// <param name="ETag">A quoted hash of <paramref name="Content"/>, so browsers revalidate cheaply and never keep a stale page after an upgrade.</param>
internal sealed record UiAsset(byte[] Content, string ContentType, string ETag);
