using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Server.Tests;

/// <summary>
/// <c>GET /v1/documents</c>: pages in a stable order through the caller's row-level security, a cursor that is only a
/// position, and the filter, in both isolation models.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class DocumentListApiTests(DocumentsApiFixture f) : IClassFixture<DocumentsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ListDocuments_WalkedPageByPageWhileOthersWrite_ListsEveryVisibleDocumentOnceAndNothingElse(TenancyMode mode)
    {
        var mine = await f.TenantAsync("walk", mode);
        var theirs = await f.TenantAsync("walkx", mode);
        var visible = new HashSet<Guid>();
        var hidden = new HashSet<Guid>();
        for (var i = 0; i < 9; i++)
        {
            visible.Add(await f.AddAsync(mine, "alice", $"alice {i}"));
            visible.Add(await f.AddAsync(mine, "alice", $"alice private {i}", DocumentVisibility.Private));
            visible.Add(await f.AddAsync(mine, "bob", $"bob {i}"));
            hidden.Add(await f.AddAsync(mine, "bob", $"bob private {i}", DocumentVisibility.Private));
            hidden.Add(await f.AddAsync(theirs, "alice", $"their alice {i}"));
        }

        var alice = f.Token(mine, "alice");
        var addedDuring = new HashSet<Guid>();
        var round = 0;

        // Between pages, and while each page is read, colleagues and other tenants keep writing.
        async Task WriteMoreAsync()
        {
            round++;
            var writes = await Task.WhenAll(
                f.AddAsync(mine, "bob", $"bob during {round}"),
                f.AddAsync(mine, "bob", $"bob private during {round}", DocumentVisibility.Private),
                f.AddAsync(theirs, "alice", $"their during {round}"),
                f.AddAsync(mine, "alice", $"alice during {round}"));
            addedDuring.Add(writes[0]);
            addedDuring.Add(writes[3]);
            hidden.Add(writes[1]);
            hidden.Add(writes[2]);
        }

        var walked = await f.WalkAsync(alice, "limit=4", meanwhile: WriteMoreAsync);

        var ids = walked.Select(DocumentsApiFixture.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(ids.Intersect(hidden));
        Assert.Subset(visible.Union(addedDuring).ToHashSet(), ids.ToHashSet());
        Assert.Superset(visible, ids.ToHashSet());
        var order = walked.Select(d => (d.GetProperty("createdAt").GetDateTimeOffset(), DocumentsApiFixture.Id(d))).ToList();
        Assert.Equal(order.OrderByDescending(o => o.Item1).ThenByDescending(o => o.Item2.ToString(), StringComparer.Ordinal).ToList(), order);
        Assert.True(round >= 7, $"the walk took {round} pages of 4 for {visible.Count} documents");
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ListDocuments_PagesOfLimit_EndWithNullNext(TenancyMode mode)
    {
        var tenant = await f.TenantAsync("pages", mode);
        for (var i = 0; i < 5; i++)
        {
            await f.AddAsync(tenant, "carol", $"page doc {i}");
        }

        var token = f.Token(tenant, "carol");

        var (first, next) = await f.PageAsync(token, "limit=2");
        var (second, next2) = await f.PageAsync(token, "limit=2&cursor=" + Uri.EscapeDataString(next!));
        var (third, next3) = await f.PageAsync(token, "limit=2&cursor=" + Uri.EscapeDataString(next2!));
        var (all, allNext) = await f.PageAsync(token);
        var (exact, exactNext) = await f.PageAsync(token, "limit=5");

        Assert.Equal((2, 2, 1), (first.Length, second.Length, third.Length));
        Assert.Null(next3);
        Assert.Equal(5, all.Length);
        Assert.Null(allNext);
        Assert.Equal(5, exact.Length);
        Assert.Null(exactNext);
        Assert.Equal(all.Select(DocumentsApiFixture.Id), first.Concat(second).Concat(third).Select(DocumentsApiFixture.Id));
    }

    // The attack: a caller writes its own cursor (random bytes, a real one altered, cut short or lengthened) to see
    // or count what lies outside its view. Only cursors the server made are accepted; anything else is 400.
    [Theory]
    [InlineData("random")]
    [InlineData("flipped")]
    [InlineData("truncated")]
    [InlineData("extended")]
    [InlineData("not-base64")]
    [InlineData("huge")]
    [InlineData("nul")]
    [InlineData("twice")]
    public async Task ListDocuments_HandMadeCursor_Returns400AndNothingElse(string kind)
    {
        var tenant = await f.TenantAsync("forge", TenancyMode.Shared);
        for (var i = 0; i < 3; i++)
        {
            await f.AddAsync(tenant, "alice", $"forge doc {i}");
        }

        var alice = f.Token(tenant, "alice");
        var (_, real) = await f.PageAsync(alice, "limit=1");
        var forged = kind switch
        {
            "random" => Convert.ToBase64String(RandomBytes(53)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            "flipped" => real![..10] + (real[10] == 'A' ? 'B' : 'A') + real[11..],
            "truncated" => real![..^2],
            "extended" => real + "AA",
            "not-base64" => "../../etc/passwd",
            "huge" => new string('A', 100_000),
            "nul" => real + "\0",
            "twice" => real!,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var query = "cursor=" + Uri.EscapeDataString(forged) + (kind == "twice" ? "&cursor=" + Uri.EscapeDataString(forged) : string.Empty);

        var response = await f.ListAsync(alice, query);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestUriTooLong, $"{(int)response.StatusCode}: {body}");
        Assert.DoesNotContain("forge doc", body, StringComparison.Ordinal);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    // The attack: a cursor taken from another tenant, or from a colleague whose page ended on a private document, is
    // replayed. It is a position and nothing more: the caller sees its own view from there on.
    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ListDocuments_CursorOfAnotherTenantOrColleague_IsOnlyAPositionInTheCallersView(TenancyMode mode)
    {
        var mine = await f.TenantAsync("pos", mode);
        var theirs = await f.TenantAsync("posx", mode);
        var aliceDocs = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            aliceDocs.Add(await f.AddAsync(mine, "alice", $"alice pos {i}"));
            await f.AddAsync(mine, "bob", $"bob secret {i}", DocumentVisibility.Private);
            await f.AddAsync(theirs, "eve", $"eve pos {i}");
        }

        var alice = f.Token(mine, "alice");
        var (_, eveCursor) = await f.PageAsync(f.Token(theirs, "eve"), "limit=1");
        var (bobFirst, bobCursor) = await f.PageAsync(f.Token(mine, "bob"), "limit=1");

        var fromEve = await f.WalkAsync(alice, string.Empty, eveCursor);
        var fromBob = await f.WalkAsync(alice, "limit=2", bobCursor);

        Assert.StartsWith("bob secret", bobFirst.Single().GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.All(fromEve.Concat(fromBob), d => Assert.Contains(DocumentsApiFixture.Id(d), aliceDocs));
        Assert.Subset(aliceDocs.ToHashSet(), fromBob.Select(DocumentsApiFixture.Id).ToHashSet());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    [InlineData("limit=-1")]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    [InlineData("limit=%205")]
    [InlineData("limit=1e2")]
    [InlineData("limit=99999999999999999999")]
    [InlineData("limit=5&limit=6")]
    [InlineData("q=a%00b")]
    [InlineData("q=a%1Bb")]
    [InlineData("q=a&q=b")]
    public async Task ListDocuments_BadLimitOrFilter_Returns400Problem(string query)
    {
        var tenant = await f.TenantAsync("bad", TenancyMode.Shared);
        await f.AddAsync(tenant, "alice", "bad doc");

        var response = await f.ListAsync(f.Token(tenant, "alice"), query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("bad doc", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListDocuments_FilterLongerThanAQuery_Returns400()
    {
        var tenant = await f.TenantAsync("long", TenancyMode.Shared);

        var atLimit = await f.ListAsync(f.Token(tenant, "alice"), "q=" + new string('a', 2000));
        var over = await f.ListAsync(f.Token(tenant, "alice"), "q=" + new string('a', 2001));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ListDocuments_Filter_MatchesTitleOrFileNameCaseInsensitivelyInTheCallersViewOnly(TenancyMode mode)
    {
        var mine = await f.TenantAsync("filter", mode);
        var theirs = await f.TenantAsync("filterx", mode);
        var alice = f.Token(mine, "alice");
        var byFileName = (await DocumentsApiFixture.IdsAsync(await f.PostFileAsync(alice, "Quarterly-Report.md", "# Budget\n\nThe budget grows by four percent.\n"u8.ToArray()))).Single();
        var byTitle = (await DocumentsApiFixture.IdsAsync(await f.PostTextAsync(alice, "Travel REPORT 100%", "Trains are preferred over planes."))).Single();
        var other = (await DocumentsApiFixture.IdsAsync(await f.PostTextAsync(alice, "Lunch menu", "Soup on Mondays."))).Single();
        await f.PostTextAsync(f.Token(mine, "bob"), "Bob's report", "Private numbers.", "private");
        await f.PostTextAsync(f.Token(theirs, "alice"), "Their report", "Numbers of another tenant.");

        var report = await f.WalkAsync(alice, "q=rEpOrT&limit=1");
        var budget = await f.WalkAsync(alice, "q=BUDGET");
        var percent = await f.WalkAsync(alice, "q=" + Uri.EscapeDataString("%"));
        var underscore = await f.WalkAsync(alice, "q=_");
        var blank = await f.WalkAsync(alice, "q=");
        var none = await f.WalkAsync(alice, "q=nothing-like-this");

        Assert.Equal([byTitle, byFileName], report.Select(DocumentsApiFixture.Id));
        Assert.Equal([byFileName], budget.Select(DocumentsApiFixture.Id));
        Assert.Equal([byTitle], percent.Select(DocumentsApiFixture.Id));
        Assert.Empty(underscore);
        Assert.Equal([other, byTitle, byFileName], blank.Select(DocumentsApiFixture.Id));
        Assert.Empty(none);
    }

    [Fact]
    public async Task OpenApi_DocumentList_NamesItsParametersItsShapeAndTheContentRoute()
    {
        var openapi = await (await f.Server.GetAsync("/openapi/v1.json", null)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        var paths = openapi.GetProperty("paths");
        var list = paths.GetProperty("/v1/documents").GetProperty("get");
        Assert.Equal(["q", "limit", "cursor"], list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Contains("sealed", list.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("DocumentListResponse", list.GetRawText(), StringComparison.Ordinal);
        Assert.True(paths.TryGetProperty("/v1/documents/{id}/content", out _));
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
