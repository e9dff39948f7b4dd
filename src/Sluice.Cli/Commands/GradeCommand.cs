using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Grading;
using Sluice.Grading.Serving;
using Sluice.Grading.Spelling;
using Sluice.Grading.Text;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice grade FILE [--prompt N] [--json]</c>: grades one essay with the committed model.</summary>
internal static class GradeCommand
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Windows-1252 ("ANSI" on Western Windows), from the code pages the runtime ships.</summary>
    private static readonly Encoding s_windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "Essay text file (UTF-8, UTF-16 or Windows-1252); '-' reads standard input" };
        var prompt = new Option<int?>("--prompt") { Description = "ASAP prompt 1..8 (omit for the prompt-independent 0-1 score)" };
        var promptText = new Option<FileInfo?>("--prompt-text") { Description = "File with the prompt's text (detects copying from the prompt); '-' reads standard input" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (the same document the server returns)" };
        var model = new Option<FileInfo?>("--model") { Description = "Model file to use instead of the embedded default" };
        var cmd = new Command("grade", "Grade an essay: scores, traits, suggestions, statistics and the features that drove the score.");
        cmd.Arguments.Add(file);
        cmd.Options.Add(prompt);
        cmd.Options.Add(promptText);
        cmd.Options.Add(json);
        cmd.Options.Add(model);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var p = r.GetValue(prompt);
            if (p is < 1 or > 8)
            {
                throw new CliUsageException($"--prompt must be 1..8 (got {p})");
            }

            var f = r.GetValue(file)!;
            var ptf = r.GetValue(promptText);
            if (IsStandardInput(f) && ptf is not null && IsStandardInput(ptf))
            {
                throw new CliUsageException("the essay and --prompt-text cannot both be read from standard input ('-'); give one of them as a file");
            }

            var text = await ReadAsync(f, ct);
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new CliUsageException("the essay is empty");
            }

            var pt = ptf is null ? null : await ReadAsync(ptf, ct);
            if (pt is { Length: > EssayGrader.MaxPromptTextChars })
            {
                // The server refuses it (400 naming prompt_text); grading it here would give a result the API never could.
                throw new CliUsageException(string.Create(CultureInfo.InvariantCulture,
                    $"--prompt-text is {pt.Length:N0} characters; the limit is {EssayGrader.MaxPromptTextChars:N0}"));
            }

            EssayGrader grader;
            try
            {
                grader = GraderFactory.Create(new GradingOptions { ModelPath = ModelPath(r.GetValue(model)) });
            }
            catch (Exception ex) when (r.GetValue(model) is not null && ex is InvalidDataException or JsonException)
            {
                // A file that is not a model fails deep in gzip or JSON; say which file it was.
                throw new InvalidDataException($"{r.GetValue(model)?.FullName} is not a grading model file ({ex.Message})", ex);
            }

            var result = grader.Grade(new EssayRequest(text, p, pt));
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                await output.WriteLineAsync(GradeResultJson.ToJson(result, indented: true));
                return 0;
            }

            Print(output, result, text);
            return 0;
        });
        return cmd;
    }

    /// <summary>The argument '-', as the shell passes it (FileInfo makes it a path in the current folder).</summary>
    private static bool IsStandardInput(FileInfo f) => f.Name == "-" && f.ToString() == "-";

    /// <summary>
    /// UTF-16 written without a byte order mark (some editors and scripts save it so): English text then has a zero byte
    /// in nearly every other position and none in the others. Read as UTF-8 it was all control characters and graded as
    /// binary garbage.
    /// </summary>
    private static Encoding? Utf16WithoutBom(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes.Length % 2 != 0)
        {
            return null;
        }

        int evenZeros = 0, oddZeros = 0;
        for (var i = 0; i < bytes.Length; i += 2)
        {
            evenZeros += bytes[i] == 0 ? 1 : 0;
            oddZeros += bytes[i + 1] == 0 ? 1 : 0;
        }

        var half = bytes.Length / 2;
        return evenZeros == 0 && oddZeros >= half * 0.9 ? Encoding.Unicode
            : oddZeros == 0 && evenZeros >= half * 0.9 ? Encoding.BigEndianUnicode
            : null;
    }

    private static async Task<string> ReadAsync(FileInfo f, CancellationToken ct)
    {
        if (IsStandardInput(f))
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            await stdin.CopyToAsync(buffer, ct);
            return Decode(buffer.ToArray());
        }

        return Decode(await File.ReadAllBytesAsync(f.FullName, ct));
    }

    /// <summary>
    /// The text of an essay file: by its byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE) when it has one, else as
    /// UTF-16 when its zero bytes say so, else as UTF-8, else, when the bytes are not valid UTF-8, as Windows-1252, which is what Notepad and Word on Windows save
    /// as "ANSI": read as UTF-8 every accented letter, curly quote and dash of such a file became U+FFFD.
    /// </summary>
    internal static string Decode(byte[] bytes)
    {
        var bom = bytes.AsSpan();
        if (bom.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) || bom.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bom.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        if (Utf16WithoutBom(bytes) is { } utf16)
        {
            return utf16.GetString(bytes);
        }

        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return s_windows1252.GetString(bytes);
        }
    }

    /// <summary>
    /// The start of a suggestion's span as quoted in the listing: at most <paramref name="max"/> UTF-16 code units, or
    /// more rather than end between the two halves of a surrogate pair (an emoji would print as U+FFFD) or before the
    /// combining accents of the last letter.
    /// </summary>
    internal static string Quote(string text, int start, int length, int max = 40)
    {
        var n = Math.Min(length, max);
        if (n < length && n > 0 && char.IsHighSurrogate(text[start + n - 1]))
        {
            n++;
        }

        // Nor between a letter and its combining accents ("Jose\u0301" would print as "Jose").
        while (n < length && n > 0 && Tokenizer.IsCombiningMark(text[start + n]))
        {
            n++;
        }

        return text.Substring(start, n);
    }

    private static string? ModelPath(FileInfo? model) => model is null ? null
        : Directory.Exists(model.FullName) ? throw new IOException($"--model {model.FullName} is a directory, not a grading model file")
        : model.FullName;

    /// <summary>"1 word", "2 words", "0 words".</summary>
    internal static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");

    /// <summary>
    /// The text with control characters written as <c>\u001b</c>: suggestions quote the essay, and binary garbage
    /// holds escape sequences and bells that would otherwise reach the terminal and garble it.
    /// </summary>
    internal static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !text.AsSpan().ContainsAnyInRange('\u007f', '\u009f'))
        {
            return text;
        }

        var b = new System.Text.StringBuilder(text.Length + 16);
        foreach (var ch in text)
        {
            if (char.IsControl(ch))
            {
                b.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}");
            }
            else
            {
                b.Append(ch);
            }
        }

        return b.ToString();
    }

    private static void Print(TextWriter o, GradeResult r, string text)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(r.PromptId is { } id
            ? string.Create(c, $"Prompt {id}: holistic score {r.Score.Score} on {r.Score.Min}-{r.Score.Max} (normalized {r.Score.Normalized:0.00})")
            : string.Create(c, $"Prompt-independent score: {r.Score.Normalized:0.00} on 0-1"));
        foreach (var t in r.Traits)
        {
            o.WriteLine(string.Create(c, $"  {t.Label,-18} {t.Score} ({t.Min}-{t.Max})"));
        }

        var s = r.Statistics;
        o.WriteLine(string.Create(c,
            $"Statistics: {Count(s.Words, "word")}, {Count(s.Sentences, "sentence")}, {Count(s.Paragraphs, "paragraph")}, {Count(s.UniqueWords, "unique word")}; Flesch-Kincaid grade {s.FleschKincaidGrade:0.0}, reading ease {s.FleschReadingEase:0}; MATTR {s.Mattr:0.00}; {Count(s.Misspellings, "misspelling")}, {Count(s.GrammarIssues, "grammar/punctuation issue")}, {Count(s.Transitions, "transition")}"));
        if (r.Drivers.Count > 0)
        {
            o.WriteLine("What drove the score (effect in points vs. a typical essay):");
            foreach (var d in r.Drivers)
            {
                o.WriteLine(string.Create(c, $"  {d.Feature,-22} {d.Effect,7:+0.00;-0.00}   value {d.Value:0.###} (typical {d.Typical:0.###})"));
            }
        }

        foreach (var f in r.Flags)
        {
            o.WriteLine($"FLAG {f.Code} [{f.Effect}]: {f.Message}");
        }

        o.WriteLine($"Suggestions ({r.Suggestions.Count}):");
        foreach (var g in r.Suggestions)
        {
            var span = Quote(text, g.Start, g.Length).ReplaceLineEndings(" ");
            o.WriteLine(Printable($"  [{g.Category}/{g.Rule}] @{g.Start}+{g.Length} \"{span}\" {g.Message}" + (g.Replacement is null ? "" : $" -> \"{g.Replacement}\"")));
        }
    }
}
