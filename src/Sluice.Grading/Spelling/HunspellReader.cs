namespace Sluice.Grading.Spelling;

/// <summary>
/// Expands a hunspell <c>.dic</c> with the single-affix PFX/SFX rules of its <c>.aff</c> (one prefix and one
/// suffix combined when both are cross-product). Enough for spell checking; compounding and other hunspell
/// features are not needed for en_US.
/// </summary>
internal static class HunspellReader
{
    public static void AddWords(string dicPath, string affPath, HashSet<string> words)
    {
        var rules = new Dictionary<char, List<AffixRule>>();
        var cross = new HashSet<char>();
        if (File.Exists(affPath))
        {
            foreach (var line in File.ReadLines(affPath))
            {
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 4 || parts[0] is not ("PFX" or "SFX") || parts[1].Length != 1)
                {
                    continue;
                }

                var flag = parts[1][0];
                if (parts.Length == 4 && parts[2] is "Y" or "N")
                {
                    if (parts[2] == "Y")
                    {
                        cross.Add(flag);
                    }

                    continue;
                }

                var strip = parts[2] == "0" ? "" : parts[2];
                var add = parts[3] == "0" ? "" : parts[3].Split('/')[0];
                var cond = parts.Length > 4 ? parts[4] : ".";
                if (!rules.TryGetValue(flag, out var list))
                {
                    rules[flag] = list = [];
                }

                list.Add(new AffixRule(parts[0] == "SFX", strip, add, AffixRule.ParseCondition(cond)));
            }
        }

        var first = true;
        foreach (var line in File.ReadLines(dicPath))
        {
            if (first)
            {
                first = false; // word count
                continue;
            }

            var slash = line.IndexOf('/');
            var stem = (slash < 0 ? line : line[..slash]).Trim();
            if (stem.Length == 0)
            {
                continue;
            }

            var lowerStem = stem.ToLowerInvariant();
            words.Add(lowerStem);
            if (slash < 0)
            {
                continue;
            }

            var flags = line[(slash + 1)..].Trim();
            List<string>? prefixed = null;
            foreach (var f in flags)
            {
                if (!rules.TryGetValue(f, out var list))
                {
                    continue;
                }

                foreach (var rule in list)
                {
                    var form = rule.Apply(stem);
                    if (form is null)
                    {
                        continue;
                    }

                    words.Add(form.ToLowerInvariant());
                    if (!rule.Suffix && cross.Contains(f))
                    {
                        (prefixed ??= []).Add(form);
                    }
                }
            }

            if (prefixed is null)
            {
                continue;
            }

            foreach (var p in prefixed)
            {
                foreach (var f in flags)
                {
                    if (!cross.Contains(f) || !rules.TryGetValue(f, out var list))
                    {
                        continue;
                    }

                    foreach (var rule in list)
                    {
                        if (rule.Suffix && rule.Apply(p) is { } form)
                        {
                            words.Add(form.ToLowerInvariant());
                        }
                    }
                }
            }
        }
    }
}
