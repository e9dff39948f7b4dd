using System.Text;

namespace Sluice.Grading.Data;

/// <summary>
/// Reads the ASAP tab-separated files: fields may be quoted with <c>"</c> and <c>""</c> escapes, rows end in CRLF,
/// and quoted fields may contain newlines, so a line-based split is wrong.
/// </summary>
internal static class TsvReader
{
    public static IEnumerable<string[]> ReadRows(string path)
    {
        // ASAP is mostly Windows-1252 text saved as UTF-8 with a few stray bytes; replacement chars are fine here.
        var text = File.ReadAllText(path, new UTF8Encoding(false, false));
        return Parse(text);
    }

    public static IEnumerable<string[]> Parse(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var quoted = false;
        var fieldStart = true;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }

                    quoted = false;
                    i++;
                    continue;
                }

                field.Append(c);
                i++;
                continue;
            }

            if (c == '"' && fieldStart)
            {
                quoted = true;
                fieldStart = false;
                i++;
                continue;
            }

            if (c == '\t')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldStart = true;
                i++;
                continue;
            }

            if (c is '\r' or '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldStart = true;
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                i++;
                yield return fields.ToArray();
                fields.Clear();
                continue;
            }

            field.Append(c);
            fieldStart = false;
            i++;
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return fields.ToArray();
        }
    }
}
