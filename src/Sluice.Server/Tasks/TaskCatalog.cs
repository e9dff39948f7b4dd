using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Sluice.Core.Jobs;
using Sluice.Core.Models;

namespace Sluice.Server.Tasks;

/// <summary>
/// The built-in tasks: <c>codegen</c> (seed 004), <c>blog-outline</c>, <c>blog-draft</c> and <c>blog-summary</c>
/// (seed 003) and <c>essay-feedback</c> (seed 000). Prompts are short on purpose: they must fit the small context of
/// the embedded local model as well as a real chat model's.
/// </summary>
internal sealed class TaskCatalog
{
    private static readonly Dictionary<string, JobPriority> CodegenLanes = new(StringComparer.Ordinal)
    {
        ["interactive"] = JobPriority.High,
        ["batch"] = JobPriority.Low,
    };

    /// <summary>
    /// Longest <c>grade</c> of essay-feedback, in characters of compact JSON. It must take the grader's result for
    /// any essay the task accepts (30,000 characters): the grader lists at most 300 suggestions
    /// (<c>EssayGrader.MaxSuggestions</c>), each quoting words of the essay. Measured: a misspelling in every word
    /// gives about 52,000 characters; the worst found, 150 repetitions of one 200-letter non-word, about 133,000.
    /// </summary>
    public const int MaxGradeChars = 160_000;

    private readonly Dictionary<string, TaskTemplate> _byName = new(StringComparer.Ordinal);

    public TaskCatalog()
    {
        foreach (var t in BuiltIns())
        {
            _byName[t.Name] = t;
        }
    }

    public IEnumerable<TaskTemplate> All => _byName.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out TaskTemplate? template) => _byName.TryGetValue(name, out template);

    private static IEnumerable<TaskTemplate> BuiltIns()
    {
        yield return new TaskTemplate
        {
            Name = "codegen",
            Version = 1,
            Seed = "004",
            Description = "Writes code in a language from an instruction and optional context. Lanes: interactive (high priority) or batch (low). Idempotent by request_id.",
            Fields =
            [
                new("language", TaskFieldType.String, true, "programming language, e.g. python") { Max = 40 },
                new("instruction", TaskFieldType.String, true, "what the code must do") { Max = 8_000 },
                new("context", TaskFieldType.String, false, "existing code or constraints to respect") { Max = 32_000 },
            ],
            Render = i => Messages(
                $"You are a senior {i.Text("language")} engineer. Reply with one fenced {i.Text("language")} code block that does what is asked, then at most two sentences.",
                i.Has("context")
                    ? $"Context:\n```\n{i.Text("context")}\n```\n\nTask: {i.Text("instruction")}"
                    : $"Task: {i.Text("instruction")}"),
            MaxTokens = 512,
            Temperature = 0,
            Priority = JobPriority.High,
            Lanes = CodegenLanes,
            Example = """{"input":{"language":"python","instruction":"Return the n-th Fibonacci number iteratively."},"lane":"interactive","request_id":"req-42"}""",
        };
        yield return new TaskTemplate
        {
            Name = "blog-outline",
            Version = 1,
            Seed = "003",
            Description = "Proposes an outline (section headings with one line each) for a blog post title.",
            Fields =
            [
                new("title", TaskFieldType.String, true, "the post's title") { Max = 300 },
                new("audience", TaskFieldType.String, false, "who will read it") { Max = 300 },
                new("sections", TaskFieldType.Integer, false, "number of sections") { Min = 2, Max = 12, Default = 5 },
            ],
            Render = i => Messages(
                "You plan blog posts. Reply with a numbered list of section headings, each followed by one sentence.",
                string.Create(CultureInfo.InvariantCulture, $"Outline a blog post titled \"{i.Text("title")}\" in {i.Integer("sections")} sections.{(i.Has("audience") ? " Audience: " + i.Text("audience") + "." : "")}")),
            MaxTokens = 400,
            Temperature = 0.7f,
            Example = """{"input":{"title":"Serving AI models under tidal traffic","sections":4}}""",
        };
        yield return new TaskTemplate
        {
            Name = "blog-draft",
            Version = 1,
            Seed = "003",
            Description = "Writes a blog post from a title and an outline; follow the job's events to read it as it is written.",
            Fields =
            [
                new("title", TaskFieldType.String, true, "the post's title") { Max = 300 },
                new("outline", TaskFieldType.StringOrList, true, "the sections, as text or a list") { Max = 8_000 },
                new("tone", TaskFieldType.String, false, "e.g. friendly, technical") { Max = 100 },
            ],
            Render = i => Messages(
                $"You write clear, well-structured blog posts in Markdown{(i.Has("tone") ? ", in a " + i.Text("tone") + " tone" : "")}. Follow the outline; one section per item.",
                $"Title: {i.Text("title")}\n\nOutline:\n{i.Text("outline")}\n\nWrite the post."),
            MaxTokens = 1024,
            Temperature = 0.7f,
            Example = """{"input":{"title":"Why queues beat timeouts","outline":["The 8 pm spike","Admission and backpressure","What users see"]}}""",
        };
        yield return new TaskTemplate
        {
            Name = "blog-summary",
            Version = 1,
            Seed = "003",
            Description = "Summarises a blog post in a few sentences.",
            Fields =
            [
                new("text", TaskFieldType.String, true, "the post") { Max = 50_000 },
                new("sentences", TaskFieldType.Integer, false, "length of the summary") { Min = 1, Max = 10, Default = 3 },
            ],
            Render = i => Messages(
                "You summarise articles faithfully, without adding facts.",
                string.Create(CultureInfo.InvariantCulture, $"Summarise in {i.Integer("sentences")} sentences:\n\n{i.Text("text")}")),
            MaxTokens = 256,
            Temperature = 0,
            Example = """{"input":{"text":"Sluice absorbs tidal traffic ...","sentences":2}}""",
        };
        yield return new TaskTemplate
        {
            Name = "essay-feedback",
            Version = 1,
            Seed = "000",
            Description = "Writes feedback for a student from their essay and the essay grader's result (POST /v1/essays); streamed.",
            Fields =
            [
                new("essay", TaskFieldType.String, true, "the student's essay") { Max = 30_000 },
                new("grade", TaskFieldType.Object, true, "the grader's result for this essay (the job's result)") { Max = MaxGradeChars },
                new("prompt_text", TaskFieldType.String, false, "the essay prompt") { Max = 4_000 },
            ],
            Render = i => Messages(
                "You are a kind, precise writing teacher. Using the grade, write feedback to the student: one strength, the two most useful improvements with an example each, and one encouraging sentence.",
                $"{(i.Has("prompt_text") ? "Prompt: " + i.Text("prompt_text") + "\n\n" : "")}Essay:\n{i.Text("essay")}\n\nGrade (JSON): {i.Text("grade")}"),
            MaxTokens = 400,
            Temperature = 0.3f,
            Example = """{"input":{"essay":"Technology helps students ...","grade":{"score":3.5,"traits":{"organization":3}}}}""",
        };
    }

    private static IReadOnlyList<ChatMessage> Messages(string system, string user) => [new ChatMessage("system", system), new ChatMessage("user", user)];
}
