namespace Sluice.Grading.Spelling;

/// <summary>One hunspell PFX/SFX rule: strip these characters, add those, when the stem matches the condition.</summary>
internal sealed record AffixRule(bool Suffix, string Strip, string Add, string[] Condition)
{
    /// <summary>
    /// Condition elements are "." (any), a literal character, or a bracket set ("[aeiou]", "[^aeiou]"), matched at
    /// the word's end for suffixes and its start for prefixes.
    /// </summary>
    public bool Matches(string stem)
    {
        if (Condition.Length > stem.Length)
        {
            return false;
        }

        for (var k = 0; k < Condition.Length; k++)
        {
            var c = Suffix ? stem[stem.Length - Condition.Length + k] : stem[k];
            var el = Condition[k];
            if (el == ".")
            {
                continue;
            }

            if (el.Length == 1)
            {
                if (el[0] != c)
                {
                    return false;
                }

                continue;
            }

            var negate = el[1] == '^';
            var set = el.AsSpan(negate ? 2 : 1, el.Length - (negate ? 3 : 2));
            if (set.Contains(c) == negate)
            {
                return false;
            }
        }

        return true;
    }

    public string? Apply(string stem)
    {
        if (!Matches(stem))
        {
            return null;
        }

        if (Suffix)
        {
            return stem.EndsWith(Strip, StringComparison.Ordinal) ? string.Concat(stem.AsSpan(0, stem.Length - Strip.Length), Add) : null;
        }

        return stem.StartsWith(Strip, StringComparison.Ordinal) ? Add + stem[Strip.Length..] : null;
    }

    public static string[] ParseCondition(string condition)
    {
        var list = new List<string>();
        for (var i = 0; i < condition.Length; i++)
        {
            if (condition[i] == '[')
            {
                var end = condition.IndexOf(']', i);
                if (end < 0)
                {
                    break;
                }

                list.Add(condition[i..(end + 1)]);
                i = end;
            }
            else
            {
                list.Add(condition[i].ToString());
            }
        }

        return [.. list];
    }
}
