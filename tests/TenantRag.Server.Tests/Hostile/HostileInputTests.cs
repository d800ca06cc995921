using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// The <see cref="HostileStrings"/> corpus and the <see cref="HostilePayloads"/> bodies through every input of the
/// HTTP API (docs/DESIGN.md §7), over real HTTP against the real server and PostgreSQL. Each case ends in a clear 4xx
/// (<c>application/problem+json</c>, short, no stack trace) or, where the text is legitimately storable, in success
/// with the text stored and returned verbatim; never a 500. Around every case the rows of every tenant are
/// fingerprinted, and only the intended change may appear.
/// </summary>
[Trait("Category", "Isolation")]
public sealed partial class HostileInputTests(HostileInputFixture f) : IClassFixture<HostileInputFixture>
{
    // A problem document is a sentence or two; echoing a megabyte of input back is a defect of its own.
    private const int MaxProblemLength = 2048;

    /// <summary>Every corpus entry by name (a member of this class: the xUnit analyzer cannot follow MemberType into another assembly).</summary>
    public static TheoryData<string> Corpus => HostileStrings.Names;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A refusal: one of <paramref name="statuses"/>, a short problem document, and no tenant's rows changed.</summary>
    private async Task AssertRefusedAsync(HttpResponseMessage response, TenantRowsSnapshot before, params HttpStatusCode[] statuses)
    {
        await AssertProblemAsync(response, statuses);
        await AssertUnchangedAsync(before);
    }

    /// <summary>
    /// <see cref="AssertRefusedAsync"/> without the look at the rows, for all but the last of several requests in
    /// one case (the last one's check covers them all).
    /// </summary>
    private static async Task AssertProblemAsync(HttpResponseMessage response, params HttpStatusCode[] statuses)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(statuses.Contains(response.StatusCode), $"expected {string.Join(" or ", statuses.Select(s => (int)s))}, got {(int)response.StatusCode}: {Shorten(body)}");
        AssertProblem(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>
    /// A 4xx problem document without internals. Kestrel itself refuses a request line or header block that is
    /// malformed (400: NUL in the path, a header line without a colon) or over its limits (414, 431) before any
    /// application code runs; those answers get a problem document too (RequestRejectionTests), but a client still
    /// writing a megabyte when Kestrel closes may see only a broken connection, which stands for an empty answer.
    /// </summary>
    private static void AssertProblem(HttpStatusCode status, string? mediaType, string body)
    {
        Assert.InRange((int)status, 400, 499);
        if (status is HttpStatusCode.BadRequest or HttpStatusCode.RequestUriTooLong or HttpStatusCode.RequestHeaderFieldsTooLarge && body.Length == 0 && mediaType is null)
        {
            return;
        }

        Assert.Equal("application/problem+json", mediaType);
        AssertNoInternals(body);
        Assert.True(body.Length <= MaxProblemLength, $"the problem document is {body.Length} characters long: {Shorten(body)}");
    }

    // No stack frame, and no full type name of the runtime's, Npgsql's or our own (a corrupt PDF may name the PDF
    // library's complaint: that is about the file, not about the server).
    private static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);
        Assert.DoesNotContain("TenantRag.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SQLSTATE", body, StringComparison.Ordinal);
    }

    /// <summary>No tenant's rows changed since <paramref name="before"/> (the caller's usage events aside: reads are metered).</summary>
    private async Task AssertUnchangedAsync(TenantRowsSnapshot before)
    {
        var changes = await ChangesSinceAsync(before);
        Assert.True(changes.Count == 0, "rows changed:\n" + string.Join('\n', changes));
    }

    private async Task<List<RowChange>> ChangesSinceAsync(TenantRowsSnapshot before) =>
        [.. (await f.SnapshotAsync()).ChangesSince(before).Where(c => !(c.Tenant == f.Caller.Value && c.Table == "usage_events"))];

    /// <summary>
    /// A successful upload: 201, and the only change anywhere is one new document of the caller's tenant (with its
    /// chunks and the tenant's data version), owned by <paramref name="owner"/> (default alice), titled
    /// <paramref name="title"/> (which <c>GET /v1/documents/{id}</c> returns verbatim) and, when given, stored under
    /// <paramref name="source"/>. The document is deleted again (with <paramref name="token"/>, default alice's).
    /// </summary>
    private async Task AssertStoredAndDeleteAsync(HttpResponseMessage response, TenantRowsSnapshot before, string title,
        string owner = "alice", string? token = null, string? source = null)
    {
        token ??= f.Alice;
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {Shorten(body)}");
        var changes = await ChangesSinceAsync(before);
        Assert.All(changes, c => Assert.Equal(f.Caller.Value, c.Tenant));
        Assert.DoesNotContain(changes, c => !c.Added && c.Table is "documents" or "chunks");
        var added = Assert.Single(changes, c => c.Table == "documents");
        var id = Guid.Parse(added.Row.AsSpan(0, 36));
        var row = await f.DocumentRowAsync(id);
        Assert.Equal((f.CallerId, owner, title), row is { } r ? (r.Tenant, r.Owner, r.Title) : default);
        if (source is not null)
        {
            Assert.Equal(source, row?.Source);
        }

        var fetched = await f.SendAsync(HttpMethod.Get, $"/v1/documents/{id}", token);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal(title, (await fetched.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await f.SendAsync(HttpMethod.Delete, $"/v1/documents/{id}", token)).StatusCode);
    }

    /// <summary>A successful read: 200, nothing of another tenant or of bob's private document in it, no rows changed.</summary>
    private async Task<string> AssertReadOnlyAsync(HttpResponseMessage response, TenantRowsSnapshot before)
    {
        var body = await AssertOkAsync(response);
        await AssertUnchangedAsync(before);
        return body;
    }

    /// <summary><see cref="AssertReadOnlyAsync"/> without the look at the rows (for all but the last request of a case).</summary>
    private static async Task<string> AssertOkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {Shorten(body)}");
        Assert.DoesNotContain(HostileInputFixture.ForeignMarker, body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("91,000", body, StringComparison.Ordinal);
        return body;
    }

    /// <summary>
    /// How a route answers a path segment that names nothing: 404, unless Kestrel refuses the path before routing
    /// (400 for an encoded NUL, 414 for a request line over 8 KB).
    /// </summary>
    private static HttpStatusCode NotARoute(string percentEncodedSegment) =>
        percentEncodedSegment.Contains("%00", StringComparison.Ordinal) ? HttpStatusCode.BadRequest
        : percentEncodedSegment.Length > 8000 ? HttpStatusCode.RequestUriTooLong
        : HttpStatusCode.NotFound;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
