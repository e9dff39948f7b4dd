using System.Globalization;
using System.Text.Json;
using Sluice.Blog.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Blog.Tests.Drafting;

/// <summary>
/// What every draft test sets up: a blog on loopback whose Sluice is a real server started in process (or an address
/// where none listens) and an author already signed in, who drafts through <c>POST /drafts</c> as the page's form does.
/// </summary>
internal sealed class DraftRig : IAsyncDisposable
{
    private readonly SluiceServer? _sluice;

    private DraftRig(SluiceServer? sluice, BlogServer blog, BlogClient author)
    {
        _sluice = sluice;
        Blog = blog;
        Author = author;
    }

    public SluiceServer Sluice => _sluice ?? throw new InvalidOperationException("this blog has no Sluice server (Sluices.Nowhere)");

    public BlogServer Blog { get; }

    /// <summary>Registered and signed in (the rig's first user).</summary>
    public BlogClient Author { get; }

    /// <summary>The blog pointed at an address where no Sluice listens.</summary>
    public static Task<DraftRig> WithoutSluiceAsync(string author = "drafter") => StartAsync(null, Sluices.Nowhere(), null, author);

    /// <summary>Sluice with its built-in <c>count</c> model at <paramref name="stepMs"/> a token, the blog drafting on it.</summary>
    public static Task<DraftRig> CountingAsync(int stepMs, int maxTokens, string author = "drafter", Dictionary<string, string>? blogSettings = null, Dictionary<string, string>? sluiceSettings = null)
    {
        var sluice = new Dictionary<string, string>(sluiceSettings ?? []) { ["Sluice:BuiltIns:CountStepMs"] = stepMs.ToString(CultureInfo.InvariantCulture) };
        var blog = new Dictionary<string, string>(blogSettings ?? [])
        {
            ["Blog:Sluice:Model"] = "count",
            ["Blog:Sluice:MaxTokens"] = maxTokens.ToString(CultureInfo.InvariantCulture),
        };
        return StartAsync(Sluices.BuiltInsAsync(sluice), blog, author);
    }

    /// <summary>Sluice running the <c>blog-draft</c> task on the shared stories260K checkpoint, the blog as configured by default.</summary>
    public static Task<DraftRig> LocalModelAsync(string author = "drafter") => StartAsync(Sluices.LocalModelAsync(), null, author);

    /// <summary>Another user of the same blog, registered and signed in.</summary>
    public Task<BlogClient> SignInAsync(string username) => SignInAsync(Blog, username);

    /// <summary>A draft by the author from the new-post form; the response is returned at its headers, so a stream can be read as it comes.</summary>
    public Task<HttpResponseMessage> DraftAsync(string title, string outline) => DraftAsync(Author, title, outline);

    /// <summary>A draft by <paramref name="client"/>, with the antiforgery token of the form at <paramref name="formPage"/>.</summary>
    public static async Task<HttpResponseMessage> DraftAsync(BlogClient client, string title, string outline, string formPage = "/posts/new")
    {
        var token = await client.TokenAsync(formPage);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/drafts")
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", title), new("outline", outline)]),
        };
        return await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Reads a draft's stream up to its first <c>delta</c> (the job is running) and returns the job id its first event named.</summary>
    public static async Task<string> JobIdOnceRunningAsync(IAsyncEnumerator<(string Event, string Data)> events)
    {
        Assert.True(await events.MoveNextAsync());
        var jobId = JsonDocument.Parse(events.Current.Data).RootElement.GetProperty("id").GetString()!;
        do
        {
            Assert.True(await events.MoveNextAsync());
        }
        while (events.Current.Event != "delta");

        return jobId;
    }

    public async ValueTask DisposeAsync()
    {
        Author.Dispose();
        await Blog.DisposeAsync();
        if (_sluice is not null)
        {
            await _sluice.DisposeAsync();
        }
    }

    private static async Task<DraftRig> StartAsync(Task<SluiceServer> starting, Dictionary<string, string>? blogSettings, string author)
    {
        var sluice = await starting;
        return await StartAsync(sluice, sluice.BaseAddress, blogSettings, author);
    }

    private static async Task<DraftRig> StartAsync(SluiceServer? sluice, Uri sluiceAddress, Dictionary<string, string>? blogSettings, string author)
    {
        BlogServer? blog = null;
        try
        {
            blog = await BlogServer.StartAsync(sluiceAddress, blogSettings);
            return new DraftRig(sluice, blog, await SignInAsync(blog, author));
        }
        catch
        {
            // A failed start still stops what did start: the next test gets the ports and folders back.
            if (blog is not null)
            {
                await blog.DisposeAsync();
            }

            if (sluice is not null)
            {
                await sluice.DisposeAsync();
            }

            throw;
        }
    }

    private static async Task<BlogClient> SignInAsync(BlogServer blog, string username)
    {
        var client = blog.NewClient();
        try
        {
            await client.RegisterAsync(username);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
