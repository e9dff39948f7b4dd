using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// A client's string echoed in an error (a body field name, a route's model or task, a model input's field) comes
/// back as its first 64 characters and "…", with control characters escaped: echoed whole, a request could make the
/// server reflect megabytes, or a CR that forges a line on a terminal showing the answer.
/// </summary>
public sealed class ClientEchoTests : IAsyncLifetime
{
    private static readonly string Long = "a\rb\u001b[2J" + new string('x', 20_000);

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, int> Cases() => new()
    {
        // method and path, body, expected status
        { "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{}," + Quoted(Long) + ":1}", 400 },
        { "POST /v1/jobs", "{\"model\":\"count\",\"input\":{" + Quoted(Long) + ":1}}", 400 },
        { "POST /v1/jobs", "{\"model\":" + Quoted(Long) + ",\"input\":{}}", 400 },
        { "GET /v1/models/" + Uri.EscapeDataString(Long[..3_000]), "", 404 },
        { "POST /v1/models/" + Uri.EscapeDataString(Long[..3_000]) + "/infer", "{\"input\":{}}", 404 },
        { "POST /v1/models/echo/infer", "{\"input\":{}," + Quoted(Long) + ":1}", 400 },
        { "POST /v1/tasks/" + Uri.EscapeDataString(Long[..3_000]), "{\"input\":{}}", 404 },
        { "POST /v1/chat/completions", "{\"model\":" + Quoted(Long) + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 404 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_LongNameWithControlCharacters_ErrorEchoesOnlyItsEscapedStart(string target, string body, int status)
    {
        var space = target.IndexOf(' ', StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(target[..space]), target[(space + 1)..]);
        if (body.Length > 0)
        {
            request.Content = TestServer.Json(body);
        }

        using var response = await _server.Client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
        Assert.True(text.Length < 2_000, $"the answer is {text.Length} characters long: {text[..Math.Min(text.Length, 500)]}");
        var strings = new List<string>();
        using (var doc = JsonDocument.Parse(text))
        {
            Collect(doc.RootElement, strings);
        }

        foreach (var s in strings)
        {
            Assert.DoesNotContain(s, c => char.IsControl(c));
        }
    }

    [Fact]
    public async Task Submit_UnknownFieldLongWithControlCharacters_FieldIsItsEscapedStart()
    {
        using var response = await _server.Client.PostAsync("/v1/jobs", TestServer.Json("{\"model\":\"echo\",\"input\":{}," + Quoted(Long) + ":1}"));

        var problem = await TestServer.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var shown = "a\\u000db\\u001b[2J" + new string('x', 57) + "…";
        Assert.Equal(shown, problem.GetProperty("field").GetString());
        Assert.Contains($"'{shown}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static void Collect(JsonElement e, List<string> strings)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    strings.Add(p.Name);
                    Collect(p.Value, strings);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Collect(item, strings);
                }

                break;
            case JsonValueKind.String:
                strings.Add(e.GetString()!);
                break;
        }
    }

    private static string Quoted(string s)
    {
        var json = new StringBuilder("\"");
        foreach (var c in s)
        {
            json.Append(c < ' ' ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString());
        }

        return json.Append('"').ToString();
    }
}
