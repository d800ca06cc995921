using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantRag.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// What a document says about itself (file name, media type, size), its extracted text at
/// <c>GET /v1/documents/{id}/content</c>, and HTML pages without text of their own, in both isolation models.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class DocumentContentApiTests(DocumentsApiFixture f) : IClassFixture<DocumentsApiFixture>
{
    private const string Handbook = "# Handbook\n\nWelcome to the team.\n\n## Vacation\n\nEmployees get 30 days of paid vacation per year.\n\n## Parking\n\nVisitors park on level 2.\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The attack: reading the text of another tenant's document, or of a colleague's private one, by its id.
    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task GetContent_ForeignPrivateOrMissingId_Returns404_VisibleOnes200WithTheExtractedText(TenancyMode mode)
    {
        var mine = await f.TenantAsync("text", mode);
        var theirs = await f.TenantAsync("textx", mode);
        var alice = f.Token(mine, "alice");
        var bob = f.Token(mine, "bob");
        var handbook = (await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(alice, "handbook.md", Encoding.UTF8.GetBytes(Handbook)))).Single();
        var bobsPrivate = (await DocumentsApiFixture.IdsAsync(await f.PostTextAsync(bob, "Bob's salary", "Bob earns 91,000 euros a year.", "private"))).Single();
        var foreign = (await DocumentsApiFixture.IdsAsync(await f.PostTextAsync(f.Token(theirs, "eve"), "Eve's notes", "The other tenant's secret is hunter2."))).Single();

        var own = await f.Server.GetAsync($"/v1/documents/{handbook}/content", alice);
        var colleagueReadsShared = await f.Server.GetAsync($"/v1/documents/{handbook}/content", bob);
        var bobReadsOwnPrivate = await f.Server.GetAsync($"/v1/documents/{bobsPrivate}/content", bob);
        var alicePrivate = await f.Server.GetAsync($"/v1/documents/{bobsPrivate}/content", alice);
        var aliceForeign = await f.Server.GetAsync($"/v1/documents/{foreign}/content", alice);
        var missing = await f.Server.GetAsync($"/v1/documents/{Guid.NewGuid()}/content", alice);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var content = await own.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(handbook, content.GetProperty("id").GetGuid());
        Assert.Equal("Handbook", content.GetProperty("title").GetString());
        Assert.Equal("Welcome to the team.\n\nVacation\n\nEmployees get 30 days of paid vacation per year.\n\nParking\n\nVisitors park on level 2.", content.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, colleagueReadsShared.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bobReadsOwnPrivate.StatusCode);
        Assert.Equal("Bob earns 91,000 euros a year.", (await bobReadsOwnPrivate.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("text").GetString());
        foreach (var refused in new[] { alicePrivate, aliceForeign, missing })
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain("91,000", body, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetContent_DocumentStoredBeforeItsTextWasKept_Returns409UntilItsFileIsSentAgain()
    {
        var tenant = await f.TenantAsync("legacy", TenancyMode.Shared);
        var token = f.Token(tenant, "alice");
        var bytes = Encoding.UTF8.GetBytes(Handbook);
        var id = (await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(token, "handbook.md", bytes))).Single();
        await f.ForgetTextAsync(tenant, id);

        var before = await f.Server.GetAsync($"/v1/documents/{id}/content", token);
        var again = await f.PostFileAsync(token, "handbook.md", bytes);
        var newId = (await DocumentsApiFixture.IdsAsync(again)).Single();
        var after = await f.Server.GetAsync($"/v1/documents/{newId}/content", token);

        Assert.Equal(HttpStatusCode.Conflict, before.StatusCode);
        Assert.Contains("again", (await Uploads.ProblemAsync(before)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Contains("\"replaced\":1", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Single((await f.PageAsync(token)).Documents);
    }

    [Fact]
    public async Task GetContent_EverySearchHit_IsAPassageOfItsDocumentsText()
    {
        var tenant = await f.TenantAsync("passage", TenancyMode.Shared);
        var token = f.Token(tenant, "alice");
        var text = string.Join("\n\n", Enumerable.Range(1, 40).Select(i => $"Rule {i}: every employee keeps desk {i} tidy and returns the key {i} to reception by six."));
        var id = (await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(token, "rules.txt", Encoding.UTF8.GetBytes(text)))).Single();
        var search = f.Server.Request(HttpMethod.Post, "/v1/search", token);
        search.Content = JsonContent.Create(new { query = "desk key reception", k = 20 });

        var hits = (await (await f.Server.Client.SendAsync(search, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("hits").EnumerateArray().ToList();
        var stored = (await (await f.Server.GetAsync($"/v1/documents/{id}/content", token)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("text").GetString()!;

        Assert.True(hits.Count > 1, $"{hits.Count} hits");
        Assert.Equal(text, stored);
        Assert.All(hits, hit => Assert.Contains(hit.GetProperty("content").GetString()!, stored, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Upload_EachFormat_ListsFileNameMediaTypeAndSize(TenancyMode mode)
    {
        var tenant = await f.TenantAsync("meta", mode);
        var token = f.Token(tenant, "alice");
        var corpusLines = new[] { """{"_id": "d1", "title": "First", "text": "The first abstract."}""", """{"_id": "d2", "title": "Zweite", "text": "Die zweite Zusammenfassung: Größe."}""" };
        var corpus = Encoding.UTF8.GetBytes(string.Join("\n", corpusLines) + "\n");
        var uploads = new (string Name, byte[] Bytes, string MediaType)[]
        {
            ("notes.txt", "Plain notes about the office."u8.ToArray(), "text/plain"),
            ("guide.markdown", "# Guide\n\nHow to start.\n"u8.ToArray(), "text/markdown"),
            ("page.htm", RustDocPages.Read(RustDocPages.ContentPage), "text/html"),
        };
        var expected = new Dictionary<Guid, (string? FileName, string MediaType, long Bytes)>();
        foreach (var (name, bytes, mediaType) in uploads)
        {
            expected[(await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(token, name, bytes))).Single()] = (name, mediaType, bytes.Length);
        }

        // The ids come in the order the documents were stored, which need not be the order of the lines.
        var corpusIds = await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(token, "corpus.jsonl", corpus));
        foreach (var corpusId in corpusIds)
        {
            var title = (await (await f.Server.GetAsync($"/v1/documents/{corpusId}", token)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString();
            expected[corpusId] = ("corpus.jsonl", "application/x-ndjson", Encoding.UTF8.GetByteCount(corpusLines[title == "First" ? 0 : 1]));
        }

        const string typed = "Typed **text** with ümlauts.";
        expected[(await DocumentsApiFixture.IdsAsync(await f.PostTextAsync(token, "Typed", typed))).Single()] = (null, "text/markdown", Encoding.UTF8.GetByteCount(typed));

        var listed = await f.WalkAsync(token, string.Empty);
        var single = await (await f.Server.GetAsync($"/v1/documents/{corpusIds[0]}", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(expected.Count, listed.Count);
        foreach (var document in listed.Append(single))
        {
            var (fileName, mediaType, bytes) = expected[DocumentsApiFixture.Id(document)];
            var name = document.GetProperty("fileName");
            Assert.Equal(fileName, name.ValueKind == JsonValueKind.Null ? null : name.GetString());
            Assert.Equal(mediaType, document.GetProperty("mediaType").GetString());
            Assert.Equal(bytes, document.GetProperty("byteSize").GetInt64());
        }
    }

    // The attack on the index: a page that only redirects was stored as a document titled "Redirecting..." whose
    // text is the address it redirects to, and every such page of a documentation dump came back in searches.
    [Theory]
    [InlineData(RustDocPages.BookRedirect)]
    [InlineData(RustDocPages.RustdocRedirect)]
    public async Task Upload_RealRedirectOnlyPage_Rejected422RedirectOnlyAndNothingStored(string page)
    {
        var tenant = await f.TenantAsync("redirect", TenancyMode.Shared);
        var token = f.Token(tenant, "alice");

        var response = await f.PostFileAsync(token, page, RustDocPages.Read(page));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await Uploads.ProblemAsync(response);
        Assert.Equal("RedirectOnly", problem.GetProperty("reason").GetString());
        Assert.Contains("redirect", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty((await f.PageAsync(token)).Documents);
    }

    [Fact]
    public async Task Upload_RealContentPageAndPageWithoutBodyText_StoredAndRejected()
    {
        var tenant = await f.TenantAsync("content", TenancyMode.Shared);
        var token = f.Token(tenant, "alice");

        var content = await f.PostFileAsync(token, RustDocPages.ContentPage, RustDocPages.Read(RustDocPages.ContentPage));
        var empty = await f.PostFileAsync(token, "empty.html", "<!DOCTYPE html><html><head><title>Settings</title><script src=\"app.js\"></script></head><body><nav><a href=\"/\">Home</a></nav><h1>Settings</h1></body></html>"u8.ToArray());

        var id = (await DocumentsApiFixture.IdsAsync(content)).Single();
        var text = (await (await f.Server.GetAsync($"/v1/documents/{id}/content", token)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("text").GetString();
        Assert.Contains(RustDocPages.ContentSentence, text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Equal("NoExtractableText", (await Uploads.ProblemAsync(empty)).GetProperty("reason").GetString());
        Assert.Single((await f.PageAsync(token)).Documents);
    }
}
