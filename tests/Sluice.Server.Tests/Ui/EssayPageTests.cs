using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Browser;

namespace Sluice.Server.Tests.Ui;

/// <summary>
/// The built-in essay page in a real browser (Debian chromium through Playwright) against a real server on loopback:
/// what a student sees is what the API returned, stage by stage.
/// </summary>
public sealed class EssayPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    // A coherent answer to prompt 1 with four fixable slips: "a assignment", "freinds", "i", "posative".
    private const string Essay =
        "Computers help people in many ways. First, they let students find information quickly for a assignment. " +
        "Second, people can talk to freinds and family who live far away. Some people say computers are bad because " +
        "kids spend too much time on them, but i disagree.\n\nIn addition, computers teach hand-eye coordination and " +
        "typing skills. Many jobs today need these skills. For example, my uncle works in an office and uses a computer every day.\n\n" +
        "In conclusion, computers have a posative effect on people. They help us learn, talk to others and get jobs.";

    private static readonly string[] Stages = ["queued", "spelling", "grammar", "structure", "scoring", "feedback"];

    private static Dictionary<string, string> Settings(Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>(more ?? []) { ["Sluice:Models:essay-grader:Enabled"] = "true" };
        return settings;
    }

    [ToolFact("chromium")]
    public async Task GradeButton_RealEssay_ShowsLiveStagesAndTheServersResult()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);

        await page.SelectOptionAsync("#prompt", "1");
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        // Every stage is ticked, and the live log saw each grading stage arrive as its own event, in order.
        Assert.Equal(Stages.Length, await page.Locator("#stages li.done").CountAsync());
        var logged = await page.Locator("#log li[data-event=progress]").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.stage)");
        Assert.Equal(Stages[1..], logged.Distinct());
        Assert.Equal("completed", await page.Locator("#log li").Last.GetAttributeAsync("data-event"));

        // The page shows exactly what the job returned.
        var id = await page.GetAttributeAsync("#result", "data-job-id");
        var result = (await server.GetJobAsync(id!)).GetProperty("result");
        var score = result.GetProperty("score");
        Assert.Equal(score.GetProperty("score").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), await page.TextContentAsync("#score-value"));
        Assert.Contains($"/ {score.GetProperty("max").GetInt32()}", await page.TextContentAsync("#score-range"), StringComparison.Ordinal);
        foreach (var trait in result.GetProperty("traits").EnumerateArray())
        {
            var row = page.Locator($"#traits tr[data-trait={trait.GetProperty("key").GetString()}] td").Nth(1);
            Assert.Equal(trait.GetProperty("score").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), await row.TextContentAsync());
        }

        Assert.Equal(result.GetProperty("flags").GetArrayLength(), await page.Locator("#flags li").CountAsync());
        var suggestions = result.GetProperty("suggestions");
        Assert.Equal(suggestions.GetArrayLength(), await page.Locator("#suggestions li").CountAsync());
        // The misspellings are marked in the essay at the offsets the grader gave.
        var marked = await page.Locator("#annotated mark.cat-spelling").AllTextContentsAsync();
        Assert.Equal(["freinds", "posative"], marked);
        // The annotated copy is the essay itself, character for character.
        Assert.Equal(Essay, await page.TextContentAsync("#annotated"));

        // Printed, it is a feedback sheet: the result without the form around it.
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.True(await page.IsHiddenAsync("#compose"));
        Assert.True(await page.IsHiddenAsync("#progress"));
        Assert.True(await page.IsVisibleAsync("#result"));
    }

    [ToolFact("chromium")]
    public async Task ApplyButton_SeveralFixes_EachLandsAtItsSpanAfterEarlierLengthChanges()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        // "a" -> "an" lengthens the text before the two misspellings, so their offsets must shift by one.
        await ApplyAsync(page, "a_an", null);
        await ApplyAsync(page, "misspelling", "posative");
        await ApplyAsync(page, "misspelling", "freinds");

        var expected = Essay.Replace("for a assignment", "for an assignment", StringComparison.Ordinal)
            .Replace("freinds", "friends", StringComparison.Ordinal).Replace("posative", "positive", StringComparison.Ordinal);
        Assert.Equal(expected, await page.InputValueAsync("#text"));
        Assert.True(await page.IsVisibleAsync("#stale"));

        // A hand edit makes the remaining offsets unknowable: the other fixes are switched off.
        await page.Locator("#text").PressSequentiallyAsync("!");
        Assert.True(await page.Locator("#suggestions li[data-rule=pronoun_i] button.apply").IsDisabledAsync());
    }

    [ToolFact("chromium")]
    public async Task GradeButton_WhitespaceOnlyEssay_ShowsTheServersProblemAtTheField()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", "   \n  ");

        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#error:not([hidden])");

        Assert.Equal("true", await page.GetAttributeAsync("#text", "aria-invalid"));
        Assert.StartsWith("text: ", await page.TextContentAsync("#error"), StringComparison.Ordinal);
        Assert.False(await page.IsVisibleAsync("#result"));
        Assert.True(await page.IsEnabledAsync("#grade"));
    }

    [ToolFact("chromium")]
    public async Task GradeButton_ServerWithKeys_AsksForTheKeyThenGradesWithIt()
    {
        await using var server = await TestServer.StartAsync(Settings(new()
        {
            ["Sluice:Auth:Keys:0:Id"] = "teacher",
            ["Sluice:Auth:Keys:0:Key"] = "teacher-secret",
            ["Sluice:Auth:Keys:1:Id"] = "other",
            ["Sluice:Auth:Keys:1:Key"] = "other-secret",
        }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);

        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#error:not([hidden])");
        Assert.Contains("API key", await page.TextContentAsync("#error"), StringComparison.Ordinal);
        Assert.True(await page.Locator("#key-box").EvaluateAsync<bool>("d => d.open"));

        await page.FillAsync("#api-key", "not-a-key");
        await page.ClickAsync("#grade");
        await page.WaitForFunctionAsync("() => document.getElementById('error').textContent.includes('refused')");
        Assert.StartsWith("The server refused this API key", await page.TextContentAsync("#error"), StringComparison.Ordinal);

        await page.FillAsync("#api-key", "teacher-secret");
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });
        Assert.True(await page.IsHiddenAsync("#error"));

        // The job belongs to the key the page sent: another key cannot see it.
        var id = await page.GetAttributeAsync("#result", "data-job-id");
        Assert.Equal(HttpStatusCode.OK, await GetJobStatusAsync(server, id!, "teacher-secret"));
        Assert.Equal(HttpStatusCode.NotFound, await GetJobStatusAsync(server, id!, "other-secret"));
    }

    private static async Task<HttpStatusCode> GetJobStatusAsync(TestServer server, string id, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    [ToolFact("chromium")]
    public async Task CancelButton_WhileWaitingForABatch_CancelsTheJobAndFreesTheForm()
    {
        // A lone essay waits up to 30 s for batch-mates: time enough to cancel it.
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "30000" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#log li[data-event=queued]", new() { State = WaitForSelectorState.Attached });
        var id = await page.GetAttributeAsync("#result", "data-job-id");

        await page.ClickAsync("#cancel");

        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled");
        Assert.Equal("Cancelled.", await page.TextContentAsync("#status"));
        Assert.True(await page.IsHiddenAsync("#cancel"));
        var job = await server.WaitTerminalAsync(id!, TimeSpan.FromSeconds(20));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [ToolFact("chromium")]
    public async Task PromptChange_AfterGrading_MarksTheResultOutOfDateAndRegradingHidesIt()
    {
        // A lone essay waits 2 s for batch-mates: long enough to see the page while it grades.
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "2000" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });
        Assert.True(await page.IsHiddenAsync("#stale"));

        await page.SelectOptionAsync("#prompt", "2");

        // The scores were for prompt 1; the text is unchanged, so its fixes still apply.
        Assert.True(await page.IsVisibleAsync("#stale"));
        Assert.True(await page.Locator("#suggestions li[data-rule=a_an] button.apply").IsEnabledAsync());

        await page.ClickAsync("#grade");
        Assert.True(await page.IsHiddenAsync("#result"));
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });
        Assert.True(await page.IsHiddenAsync("#stale"));
        var id = await page.GetAttributeAsync("#result", "data-job-id");
        Assert.Equal(2, (await server.GetJobAsync(id!)).GetProperty("result").GetProperty("prompt_id").GetInt32());
    }

    [ToolFact("chromium")]
    public async Task PromptTextChange_AfterGrading_MarksTheResultOutOfDateAndKeepsApply()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        await page.ClickAsync("#prompt-text-box summary");
        await page.FillAsync("#prompt-text", "Write a letter to your local newspaper about the effects computers have on people.");

        // Copying from the prompt was judged without this text; the essay is unchanged, so its fixes still apply.
        Assert.True(await page.IsVisibleAsync("#stale"));
        Assert.True(await page.Locator("#suggestions li[data-rule=a_an] button.apply").IsEnabledAsync());
    }

    [ToolFact("chromium")]
    public async Task Page_SameEssayTwice_SecondAnswerFromTheCacheShowsTheSameScore()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });
        var first = await page.TextContentAsync("#score-value");

        await page.ClickAsync("#grade");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('cache')");

        Assert.Equal(first, await page.TextContentAsync("#score-value"));
        Assert.Equal(Stages.Length, await page.Locator("#stages li.done").CountAsync());
    }

    [ToolFact("chromium")]
    public async Task GradeButton_KeyLimitedToOneRequestPerSecond_FollowsTheJobPastTheLimit()
    {
        // The submit spends the key's only token, so the first events request is a 429: the job is fine, and the page
        // must wait and follow it rather than tell the student to try again.
        await using var server = await TestServer.StartAsync(Settings(new()
        {
            ["Sluice:Auth:Keys:0:Id"] = "teacher",
            ["Sluice:Auth:Keys:0:Key"] = "teacher-secret",
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "1",
            ["Sluice:Auth:Keys:0:Burst"] = "1",
        }));
        var page = await OpenAsync(server);
        var limited = 0;
        page.Response += (_, r) => limited += r.Status == 429 ? 1 : 0;
        await page.ClickAsync("#key-box summary");
        await page.FillAsync("#api-key", "teacher-secret");
        await page.FillAsync("#text", Essay);

        await page.ClickAsync("#grade");
        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled", null, new() { Timeout = 60_000 });

        Assert.True(await page.IsHiddenAsync("#error"), await page.TextContentAsync("#error"));
        Assert.True(await page.IsVisibleAsync("#result"));
        Assert.Equal("Graded.", await page.TextContentAsync("#status"));
        Assert.True(limited > 0);
    }

    [ToolFact("chromium")]
    public async Task GradeButton_KeyOverItsRateLimit_ShowsTheDetailAsASentenceAndWhenToRetry()
    {
        // One request per 20 s: the test spends it, so the page's submit is the 429 a student would see.
        await using var server = await TestServer.StartAsync(Settings(new()
        {
            ["Sluice:Auth:Keys:0:Id"] = "teacher",
            ["Sluice:Auth:Keys:0:Key"] = "teacher-secret",
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "0.05",
            ["Sluice:Auth:Keys:0:Burst"] = "1",
        }));
        var page = await OpenAsync(server);
        await page.ClickAsync("#key-box summary");
        await page.FillAsync("#api-key", "teacher-secret");
        await page.FillAsync("#text", Essay);
        using (var spend = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs"))
        {
            spend.Headers.Authorization = new("Bearer", "teacher-secret");
            using var spent = await server.Client.SendAsync(spend);
            Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        }

        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#error:not([hidden])");

        Assert.Matches(@"^rate limit of 0\.05 requests/s \(burst 1\) exceeded for key 'teacher'\. Try again in \d+ seconds\.$", await page.TextContentAsync("#error"));
        Assert.True(await page.IsHiddenAsync("#progress"));
        Assert.True(await page.IsEnabledAsync("#grade"));
    }

    [ToolFact("chromium")]
    public async Task CancelButton_WhileTheSubmitIsOnItsWay_CancelsTheJobOnceTheServerNamesIt()
    {
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "30000" }));
        var page = await OpenAsync(server);
        // The job is created on the server, but its answer reaches the page only after Cancel was pressed.
        var cancelled = new TaskCompletionSource();
        await page.RouteAsync("**/v1/essays", async route =>
        {
            var response = await route.FetchAsync();
            await cancelled.Task;
            await route.FulfillAsync(new() { Response = response });
        });
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        var id = await WaitForOnlyJobAsync(server);

        await page.ClickAsync("#cancel");
        cancelled.SetResult();

        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled");
        Assert.Equal("Cancelled.", await page.TextContentAsync("#status"));
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [ToolFact("chromium")]
    public async Task ApplyButton_EssayTypedIntoWhileBeingGraded_IsSwitchedOff()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        var typed = new TaskCompletionSource();
        await page.RouteAsync("**/v1/essays", async route =>
        {
            await typed.Task;
            await route.ContinueAsync();
        });
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        // The student keeps writing at the top while the essay is graded: every offset of the result is now off by 5.
        await page.FocusAsync("#text");
        await page.Keyboard.PressAsync("Control+Home");
        await page.Keyboard.TypeAsync("Yes. ");
        typed.SetResult();
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        Assert.True(await page.IsVisibleAsync("#stale"));
        Assert.True(await page.Locator("#suggestions li[data-rule=misspelling] button.apply").First.IsDisabledAsync());
        Assert.Equal("Yes. " + Essay, await page.InputValueAsync("#text"));
    }

    [ToolFact("chromium")]
    public async Task AnnotatedMark_EnterKey_MovesTheFocusToItsSuggestionSoTabReachesItsApplyButton()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });
        var mark = page.Locator("#annotated mark", new() { HasText = "freinds" });
        var index = await mark.GetAttributeAsync("data-suggestion");

        await mark.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        // Without the focus there, a keyboard user would have to tab through every later mark to reach the fix.
        Assert.Equal("suggestion-" + index, await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Apply", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Enter");
        Assert.Contains(" to friends and family", await page.InputValueAsync("#text"), StringComparison.Ordinal);
    }

    [ToolFact("chromium")]
    public async Task ApplyButton_TwoFixesOfTheSameWord_TheOtherIsSwitchedOff()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        // "freinds" starting a sentence gets two fixes of the same span: a capital and a spelling.
        await page.FillAsync("#text", Essay + " freinds are nice.");
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        await ApplyAsync(page, "sentence_start", "freinds");

        var spelling = page.Locator("#suggestions li[data-rule=misspelling]").Last;
        Assert.True(await spelling.Locator("button.apply").IsDisabledAsync());
        Assert.EndsWith(" Freinds are nice.", await page.InputValueAsync("#text"), StringComparison.Ordinal);
    }

    [ToolFact("chromium")]
    public async Task GradeButton_EssayOverTheBodyLimit_SaysTheEssayIsTooLongAtTheEssayBox()
    {
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Http:MaxBodyBytes"] = "4096" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", string.Concat(Enumerable.Repeat(Essay + "\n\n", 10)));

        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#error:not([hidden])");

        Assert.StartsWith("The essay is too long to send", await page.TextContentAsync("#error"), StringComparison.Ordinal);
        Assert.Equal("true", await page.GetAttributeAsync("#text", "aria-invalid"));
    }

    [ToolFact("chromium")]
    public async Task GradeButton_EventStreamUnreachableForAWhile_SaysSoThenShowsTheResult()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        var statuses = new List<string>();
        // The first three connections to the event stream fail as if the server were down.
        var failures = 3;
        await page.RouteAsync("**/events", async route =>
        {
            if (Interlocked.Decrement(ref failures) >= 0)
            {
                statuses.Add(await page.TextContentAsync("#status") ?? "");
                await route.AbortAsync("connectionrefused");
            }
            else
            {
                statuses.Add(await page.TextContentAsync("#status") ?? "");
                await route.ContinueAsync();
            }
        });
        await page.FillAsync("#text", Essay);

        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        Assert.Contains(statuses, s => s.Contains("reconnecting", StringComparison.Ordinal));
        Assert.Equal("Graded.", await page.TextContentAsync("#status"));
    }

    [ToolFact("chromium")]
    public async Task CancelButton_JobAlreadyFinished_ShowsTheResultInsteadOfCancelled()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        // The job finishes before the page hears of it, so the DELETE that Cancel sends is a 409.
        var finished = new TaskCompletionSource();
        await page.RouteAsync("**/events", async route =>
        {
            await finished.Task;
            await route.ContinueAsync();
        });
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        var id = await WaitForOnlyJobAsync(server);
        await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));

        var delete = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#cancel"), r => r.Request.Method == "DELETE");
        Assert.Equal(409, delete.Status);
        finished.SetResult();
        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled", null, new() { Timeout = 60_000 });

        Assert.Equal("Graded.", await page.TextContentAsync("#status"));
        Assert.True(await page.IsVisibleAsync("#result"));
    }

    [ToolFact("chromium")]
    public async Task GradeButton_PressedWithTheKeyboard_FocusMovesToCancelAndBack()
    {
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "30000" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.FocusAsync("#grade");

        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#log li[data-event=queued]", new() { State = WaitForSelectorState.Attached });
        Assert.Equal("cancel", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        // A press within half a second of Grade's is taken as a double press, not as Cancel.
        await page.WaitForTimeoutAsync(600);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled");

        Assert.Equal("Cancelled.", await page.TextContentAsync("#status"));
        Assert.Equal("grade", await page.EvaluateAsync<string>("() => document.activeElement.id"));
    }

    [ToolFact("chromium")]
    public async Task GradeButton_EnterPressedTwiceQuickly_KeepsGradingInsteadOfCancelling()
    {
        // The focus moves to Cancel as Grade is pressed: an impatient second Enter must not cancel what it started.
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "30000" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.FocusAsync("#grade");

        await page.Keyboard.PressAsync("Enter");
        await page.WaitForTimeoutAsync(100);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#log li[data-event=queued]", new() { State = WaitForSelectorState.Attached });
        await page.WaitForTimeoutAsync(1000);

        Assert.Equal("Waiting in the queue…", await page.TextContentAsync("#status"));
        Assert.True(await page.IsDisabledAsync("#grade"));
        var id = await page.GetAttributeAsync("#result", "data-job-id");
        Assert.Equal("queued", (await server.GetJobAsync(id!)).GetProperty("status").GetString());
        Assert.Equal(1, (await server.Client.GetFromJsonAsync<JsonElement>("/v1/jobs")).GetProperty("data").GetArrayLength());
    }

    [ToolFact("chromium")]
    public async Task GradeButton_EnterHeldDown_TheKeysRepeatIsNotTakenAsCancel()
    {
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "30000" }));
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.FocusAsync("#grade");

        // Held past the half second in which a second press is ignored: the key repeats on Cancel, which has the focus.
        await page.Keyboard.DownAsync("Enter");
        await page.WaitForSelectorAsync("#log li[data-event=queued]", new() { State = WaitForSelectorState.Attached });
        await page.WaitForTimeoutAsync(700);
        await page.Keyboard.DownAsync("Enter");
        await page.Keyboard.DownAsync("Enter");
        await page.Keyboard.UpAsync("Enter");
        await page.WaitForTimeoutAsync(1000);

        Assert.Equal("cancel", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        Assert.Equal("Waiting in the queue…", await page.TextContentAsync("#status"));
        var id = await page.GetAttributeAsync("#result", "data-job-id");
        Assert.Equal("queued", (await server.GetJobAsync(id!)).GetProperty("status").GetString());
    }

    [ToolFact("chromium")]
    public async Task GradeButton_NoProgressForHalfAMinute_SaysItLostContactRatherThanFailed()
    {
        // The job waits for batch-mates longer than the page waits for a connection to its events.
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "60000" }));
        var page = await OpenAsync(server);
        await page.RouteAsync("**/events", route => route.AbortAsync("connectionrefused"));
        await page.FillAsync("#text", Essay);

        await page.ClickAsync("#grade");
        await page.WaitForFunctionAsync("() => !document.getElementById('grade').disabled", null, new() { Timeout = 90_000 });

        // The job is fine and still queued: "Grading failed: queued" would be wrong.
        Assert.Contains("still queued", await page.TextContentAsync("#error"), StringComparison.Ordinal);
        Assert.Equal("Stopped waiting for the result.", await page.TextContentAsync("#status"));
    }

    [ToolFact("chromium")]
    public async Task Reload_WhileGrading_FollowsTheSameJobToItsResult()
    {
        // A lone essay waits 3 s for batch-mates: the student reloads the page while it waits.
        await using var server = await TestServer.StartAsync(Settings(new() { ["Sluice:Models:essay-grader:MaxQueueDelayMs"] = "3000" }));
        var page = await OpenAsync(server);
        await page.SelectOptionAsync("#prompt", "2");
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#log li[data-event=queued]", new() { State = WaitForSelectorState.Attached });
        var id = await page.GetAttributeAsync("#result", "data-job-id");

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        // The essay, its prompt and the job it was waiting for all came back: no second job, the first one's result.
        Assert.Equal(Essay, await page.InputValueAsync("#text"));
        Assert.Equal("2", await page.InputValueAsync("#prompt"));
        Assert.Equal(id, await page.GetAttributeAsync("#result", "data-job-id"));
        Assert.Equal(1, (await server.Client.GetFromJsonAsync<JsonElement>("/v1/jobs")).GetProperty("data").GetArrayLength());
        Assert.Equal("Graded.", await page.TextContentAsync("#status"));
        Assert.Equal(Stages.Length, await page.Locator("#stages li.done").CountAsync());
        Assert.True(await page.Locator("#suggestions li[data-rule=a_an] button.apply").IsEnabledAsync());

        // Once shown, the result is not fetched again by the next load.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.True(await page.IsHiddenAsync("#progress"));
        Assert.Equal(Essay, await page.InputValueAsync("#text"));
    }

    [ToolFact("chromium")]
    public async Task Reload_WhileTheSubmitIsOnItsWay_FollowsTheJobItCreatedInsteadOfASecond()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        // The first submit reaches the server, which creates the job, but its answer never reaches the page: the
        // student reloads while it is on its way. Later submits pass untouched.
        var created = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = true;
        await page.RouteAsync("**/v1/essays", async route =>
        {
            if (!first)
            {
                await route.ContinueAsync();
                return;
            }

            first = false;
            var response = await route.FetchAsync();
            created.SetResult((await response.JsonAsync())!.Value.GetProperty("id").GetString()!);
        });
        await page.SelectOptionAsync("#prompt", "2");
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        var id = await created.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        // The submit sent again with the same Idempotency-Key named the job the first one created.
        Assert.Equal(id, await page.GetAttributeAsync("#result", "data-job-id"));
        Assert.Equal(1, (await server.Client.GetFromJsonAsync<JsonElement>("/v1/jobs")).GetProperty("data").GetArrayLength());
        Assert.Equal(Essay, await page.InputValueAsync("#text"));
        Assert.Equal("Graded.", await page.TextContentAsync("#status"));
    }

    [ToolFact("chromium")]
    public async Task Reload_EssayBeingWritten_KeepsTheEssayPromptAndPromptText()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.SelectOptionAsync("#prompt", "7");
        await page.ClickAsync("#prompt-text-box summary");
        await page.FillAsync("#prompt-text", "Write about a time when you were patient.");
        await page.FillAsync("#text", "Draft 😀 with an emoji and a second line.\nStill writing");

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");

        Assert.Equal("Draft 😀 with an emoji and a second line.\nStill writing", await page.InputValueAsync("#text"));
        Assert.Equal("7", await page.InputValueAsync("#prompt"));
        Assert.Equal("Write about a time when you were patient.", await page.InputValueAsync("#prompt-text"));
        Assert.True(await page.IsHiddenAsync("#progress"));
    }

    [ToolFact("chromium")]
    public async Task Form_EveryField_HasAnAccessibleName()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);

        // A screen reader announces each field by its label; the ones inside a disclosure are named by its summary.
        Assert.Equal("prompt", await page.GetByLabel("Prompt", new() { Exact = true }).GetAttributeAsync("id"));
        Assert.Equal("text", await page.GetByLabel("Essay", new() { Exact = true }).GetAttributeAsync("id"));
        Assert.Equal("prompt-text", await page.GetByLabel("Prompt text").GetAttributeAsync("id"));
        Assert.Equal("api-key", await page.GetByLabel("API key").GetAttributeAsync("id"));
        var unnamed = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input, textarea, select')].filter(e => e.labels.length === 0 && !e.hasAttribute('aria-labelledby') && !e.hasAttribute('aria-label')).map(e => e.id)");
        Assert.Empty(unnamed);
    }

    [ToolFact("chromium")]
    public async Task Result_ApplyButtonsAndIndicators_HaveNamesThatSayWhatTheyAre()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var page = await OpenAsync(server);
        await page.FillAsync("#text", Essay);
        await page.ClickAsync("#grade");
        await page.WaitForSelectorAsync("#result:not([hidden])", new() { Timeout = 60_000 });

        // Tabbing through the suggestions, each button says which fix it applies rather than "Apply" thirty times.
        Assert.Equal(1, await page.GetByRole(AriaRole.Button, new() { Name = "Apply: \u201cfreinds\u201d \u2192 \u201cfriends\u201d", Exact = true }).CountAsync());
        Assert.Equal(1, await page.GetByRole(AriaRole.Button, new() { Name = "Apply: \u201ci\u201d \u2192 \u201cI\u201d", Exact = true }).CountAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply: \u201ci\u201d \u2192 \u201cI\u201d", Exact = true }).ClickAsync();
        Assert.Equal(1, await page.GetByRole(AriaRole.Button, new() { Name = "Applied: \u201ci\u201d \u2192 \u201cI\u201d", Exact = true }).CountAsync());
        Assert.Equal(1, await page.GetByRole(AriaRole.Progressbar, new() { Name = "Stages done" }).CountAsync());
        Assert.Equal(1, await page.GetByRole(AriaRole.Meter, new() { Name = "Score on the prompt's scale" }).CountAsync());
    }

    private static async Task<string> WaitForOnlyJobAsync(TestServer server)
    {
        for (var i = 0; i < 200; i++)
        {
            var list = await server.Client.GetFromJsonAsync<JsonElement>("/v1/jobs");
            var jobs = list.GetProperty("data");
            if (jobs.GetArrayLength() > 0)
            {
                return jobs[0].GetProperty("id").GetString()!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no job was created");
    }

    private static async Task ApplyAsync(IPage page, string rule, string? near)
    {
        var item = page.Locator($"#suggestions li[data-rule={rule}]", new() { HasText = near });
        await item.Locator("button.apply").ClickAsync();
        Assert.Equal("Applied", await item.Locator("button.apply").TextContentAsync());
    }

    private async Task<IPage> OpenAsync(TestServer server)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                errors.Add(m.Text);
            }
        };
        page.PageError += (_, e) => errors.Add(e);
        // The page loads its script under the strict content security policy; a blocked script or style, or a script
        // error, would show here.
        var response = await page.GotoAsync("/");
        Assert.NotNull(response);
        Assert.EndsWith("/ui/essays", page.Url, StringComparison.Ordinal);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Empty(errors);
        return page;
    }
}
