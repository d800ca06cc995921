using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Upload, search and ask over HTTP with the real bundled model, in both models: answers stream as server-sent
/// events with citations, and neither another tenant's nor a colleague's private document ever comes back.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class RagApiTests(PostgresServer postgres)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServer? _shared;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task UploadSearchAsk_PrivateAndForeignDocuments_NeverReturned(TenancyMode mode)
    {
        var server = await ServerAsync();
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("rag"), mode, Ct);
        var other = await server.Database.Catalog.CreateAsync(Slugs.Unique("ragx"), mode, Ct);
        var alice = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var bob = issuer.Issue(tenant.Slug, UserId.Parse("bob"), TimeSpan.FromMinutes(10), []);
        var eve = issuer.Issue(other.Slug, UserId.Parse("eve"), TimeSpan.FromMinutes(10), []);

        var upload = await PostFileAsync(server, alice, "vacation.md", "# Vacation policy\n\nEmployees get 30 days of paid vacation per year.\n", "tenant");
        var again = await PostFileAsync(server, alice, "vacation.md", "# Vacation policy\n\nEmployees get 30 days of paid vacation per year.\n", "tenant");
        var secret = await PostJsonAsync(server, bob, "/v1/documents", new { title = "Bob's salary", text = "Bob earns 91,000 euros a year and gets a bonus in March.", visibility = "private" });
        var foreign = await PostJsonAsync(server, eve, "/v1/documents", new { title = "Eve's vacation", text = "At the other company employees get 12 days of paid vacation.", visibility = "tenant" });

        var aliceSalary = await SearchTitlesAsync(server, alice, "How much does Bob earn? salary bonus");
        var bobSalary = await SearchTitlesAsync(server, bob, "How much does Bob earn? salary bonus");
        var aliceVacation = await SearchTitlesAsync(server, alice, "paid vacation days per year");
        var eveVacation = await SearchTitlesAsync(server, eve, "paid vacation days per year");
        var aliceAsk = await AskAsync(server, alice, "How much does Bob earn?");
        var uploadedId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("documentIds").EnumerateArray().Single().GetGuid();
        var byLocation = await server.Client.SendAsync(server.Request(HttpMethod.Get, upload.Headers.Location!.OriginalString, alice), Ct);
        var againIds = JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("documentIds").GetArrayLength();

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal($"/v1/documents/{uploadedId}", upload.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, byLocation.StatusCode);
        Assert.Equal(uploadedId, JsonDocument.Parse(await byLocation.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid());
        Assert.Equal(0, againIds);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("\"outcome\":\"unchanged\"", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, secret.StatusCode);
        Assert.Equal(HttpStatusCode.Created, foreign.StatusCode);
        Assert.DoesNotContain("Bob's salary", aliceSalary);
        Assert.Contains("Bob's salary", bobSalary);
        Assert.Contains("Vacation policy", aliceVacation);
        Assert.DoesNotContain("Eve's vacation", aliceVacation);
        Assert.Equal(["Eve's vacation"], eveVacation);
        Assert.DoesNotContain("91,000", aliceAsk.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_AcceptEventStream_StreamsCitationsThenAnswerWithMatchingMarkers()
    {
        var server = await ServerAsync();
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("sse"), TenancyMode.Shared, Ct);
        var token = issuer.Issue(tenant.Slug, UserId.Parse("carol"), TimeSpan.FromMinutes(10), []);
        await PostJsonAsync(server, token, "/v1/documents", new { title = "Parking", text = "Visitors park on level 2 of the garage. Staff parking spots are assigned by seniority." });
        var request = server.Request(HttpMethod.Post, "/v1/ask", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Content = JsonContent.Create(new { question = "Where do visitors park?", k = 3 });

        var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("citations", events[0].Name);
        Assert.Equal("answer", events[^1].Name);
        var answer = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.True(answer.GetProperty("answered").GetBoolean());
        Assert.Contains("level 2", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("[1]", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("Parking", answer.GetProperty("citations")[0].GetProperty("documentTitle").GetString());
    }

    // The attack: chunk ids come from one sequence in the shared database, so the ids in search hits and citations
    // told a tenant how many chunks every other tenant had written in between. Passages are named by document and ordinal.
    [Fact]
    public async Task SearchAndAsk_NameEachPassageByDocumentAndOrdinal_NeverByItsDatabaseId()
    {
        var server = await ServerAsync();
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("ids"), TenancyMode.Shared, Ct);
        var token = issuer.Issue(tenant.Slug, UserId.Parse("dana"), TimeSpan.FromMinutes(10), []);
        var upload = await PostJsonAsync(server, token, "/v1/documents", new { title = "Lockers", text = "Lockers are on the ground floor, next to the showers." });
        var documentId = (await upload.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("documentIds")[0].GetGuid();

        var search = await PostJsonAsync(server, token, "/v1/search", new { query = "where are the lockers", k = 3 });
        var searchBody = await search.Content.ReadAsStringAsync(Ct);
        var askBody = (await AskAsync(server, token, "Where are the lockers?")).GetRawText();

        var hit = JsonDocument.Parse(searchBody).RootElement.GetProperty("hits")[0];
        var citation = JsonDocument.Parse(askBody).RootElement.GetProperty("citations")[0];
        Assert.Equal((documentId, 0), (hit.GetProperty("documentId").GetGuid(), hit.GetProperty("chunk").GetInt32()));
        Assert.Equal((documentId, 0), (citation.GetProperty("documentId").GetGuid(), citation.GetProperty("chunk").GetInt32()));
        Assert.DoesNotContain("chunkId", searchBody, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("chunkId", askBody, StringComparison.OrdinalIgnoreCase);
    }

    // The web page marks a cited passage in the document's text: the citation carries the chunk's text, verbatim.
    [Fact]
    public async Task Ask_Citation_CarriesItsPassageAsFoundInTheDocumentsText()
    {
        var server = await ServerAsync();
        var (_, token) = await Uploads.TenantAsync(server, "cite");
        var upload = await PostJsonAsync(server, token, "/v1/documents",
            new { title = "Bikes", text = "# Bikes\n\nBikes are kept in the cellar, behind the second door. Keys to the cellar are handed out at the front desk." });
        var documentId = (await upload.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("documentIds")[0].GetGuid();

        var citation = (await AskAsync(server, token, "Where are the bikes kept?")).GetProperty("citations")[0];
        var content = await (await server.GetAsync($"/v1/documents/{documentId}/content", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        var passage = citation.GetProperty("passage").GetString()!;
        Assert.Equal(documentId, citation.GetProperty("documentId").GetGuid());
        Assert.Contains("Bikes are kept in the cellar", passage, StringComparison.Ordinal);
        Assert.Contains(passage, content.GetProperty("text").GetString()!, StringComparison.Ordinal);
    }

    private async Task<TestServer> ServerAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            return _shared ??= await TestServer.StartAsync(postgres, "s_rag");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(TestServer server, string token, string path, object body)
    {
        var request = server.Request(HttpMethod.Post, path, token);
        request.Content = JsonContent.Create(body);
        return await server.Client.SendAsync(request, Ct);
    }

    private static async Task<HttpResponseMessage> PostFileAsync(TestServer server, string token, string fileName, string content, string visibility)
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", fileName },
            { new StringContent(visibility), "visibility" },
        };
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Content = form;
        return await server.Client.SendAsync(request, Ct);
    }

    private static async Task<List<string>> SearchTitlesAsync(TestServer server, string token, string query)
    {
        var response = await PostJsonAsync(server, token, "/v1/search", new { query, k = 10 });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return [.. body.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentTitle").GetString()!).Distinct()];
    }

    private static async Task<JsonElement> AskAsync(TestServer server, string token, string question)
    {
        var response = await PostJsonAsync(server, token, "/v1/ask", new { question, k = 5 });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static List<(string Name, string Data)> ParseEvents(string stream) =>
        [.. stream.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?[7..] ?? "message",
                string.Join('\n', lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]))))];
}
