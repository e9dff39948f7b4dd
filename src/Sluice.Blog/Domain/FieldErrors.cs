namespace Sluice.Blog.Domain;

/// <summary>
/// Validation failures by field name (the form field and the JSON member share the name), in the order found; the
/// first is the one a problem names in <c>field</c>.
/// </summary>
internal sealed class FieldErrors
{
    private readonly List<KeyValuePair<string, string>> _errors = [];

    public bool IsEmpty => _errors.Count == 0;

    public IReadOnlyList<KeyValuePair<string, string>> All => _errors;

    public void Add(string field, string message) => _errors.Add(new(field, message));

    /// <summary>The message for <paramref name="field"/>, or null when it is valid.</summary>
    public string? For(string field)
    {
        foreach (var (name, message) in _errors)
        {
            if (name == field)
            {
                return message;
            }
        }

        return null;
    }
}
