namespace Sluice.Backends.Ollama;

/// <summary>
/// The weights digest of every tag one Ollama serves, as its last <c>GET /api/tags</c> listed them. Shared by the
/// models of one upstream, since the health prober probes an upstream through one of them: whichever probes, all see
/// a re-pull (<c>ollama pull llama3</c> after the tag moved), and their result-cache keys change with it.
/// </summary>
internal sealed class OllamaDigests
{
    private volatile Dictionary<string, string> _byTag = new(StringComparer.Ordinal);

    /// <summary>Replaces the digests with <paramref name="tags"/>' (a tag no longer listed has none).</summary>
    public void Record(List<OllamaTag> tags)
    {
        var next = new Dictionary<string, string>(tags.Count, StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            if (!string.IsNullOrEmpty(tag.Digest))
            {
                next[OllamaTags.Normalize(tag.Name)] = tag.Digest;
            }
        }

        _byTag = next;
    }

    /// <summary>The digest of <paramref name="model"/>'s weights, or null when Ollama has not listed one.</summary>
    public string? Find(string model) => _byTag.GetValueOrDefault(OllamaTags.Normalize(model));
}
