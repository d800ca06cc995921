using System.Net;
using System.Text;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary><c>POST /v1/documents</c> (JSON and multipart) and <c>GET/DELETE /v1/documents/{id}</c>.</summary>
public sealed partial class HostileInputTests
{
    private const string Body = "Parking: visitors park on level 2 of the garage.";

    // Bodies whose Markdown holds no text at all: a lone list bullet, a script block, an open comment, a doctype.
    private static readonly HashSet<string> MarkupWithoutText = ["shell/glob", "markup/script", "markup/comment-open", "markup/xml-entity"];

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_HostileTitle_StoredVerbatimOrRefused(string name)
    {
        var hostile = HostileStrings.Get(name);
        var before = await f.SnapshotAsync();

        var response = await f.PostJsonAsync("/v1/documents", f.Alice, ("title", hostile.Value), ("text", Body));

        // A title is free text that people read back: once trimmed, any printable line of 1-1000 characters is a
        // fine title, kept exactly (SQL, HTML, entities, Markdown, format strings and look-alikes are data:
        // parameterised in SQL, JSON-escaped on the way out, never rendered). Control characters, lone surrogates,
        // blank and over-long titles are refused.
        var title = hostile.Value.Trim();
        if (HostileString.IsPrintableLineText(title) && title.Length <= 1000)
        {
            await AssertStoredAndDeleteAsync(response, before, title);
        }
        else
        {
            await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_HostileText_StoredOrRefused(string name)
    {
        var hostile = HostileStrings.Get(name);
        var title = "text " + name;
        var before = await f.SnapshotAsync();

        var response = await f.PostJsonAsync("/v1/documents", f.Alice, ("title", title), ("text", hostile.Value));

        // A document body is Markdown, printable over many lines (tab, CR and LF allowed), however long; other
        // control characters (NUL cannot even be stored in PostgreSQL text), lone surrogates and blank bodies are
        // refused, and a body whose Markdown holds no text has nothing to index: rejected as a document (422).
        if (hostile.IsPrintableText && MarkupWithoutText.Contains(name))
        {
            await AssertRefusedAsync(response, before, HttpStatusCode.UnprocessableEntity);
        }
        else if (hostile.IsPrintableText)
        {
            await AssertStoredAndDeleteAsync(response, before, title);
        }
        else
        {
            await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_HostileVisibility_Refused(string name)
    {
        var before = await f.SnapshotAsync();

        var json = await f.PostJsonAsync("/v1/documents", f.Alice, ("title", "visibility " + name), ("text", Body), ("visibility", HostileStrings.Get(name).Value));
        await AssertProblemAsync(json, HttpStatusCode.BadRequest);
        var multipart = await PostMultipartAsync(Part.File("file", "note.txt", Body), Part.Field("visibility", HostileStrings.Get(name).Value));

        // Only "tenant" and "private" exist; nothing in the corpus is either.
        await AssertRefusedAsync(multipart, before, HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_HostileFileNameWithTxtExtension_StoredUnderLastSegmentOrRefused(string name)
    {
        var hostile = HostileStrings.Get(name);
        var fileName = hostile.Value + ".txt";
        var before = await f.SnapshotAsync();

        var response = await PostMultipartAsync(Part.File("file", fileName, Body));

        // A file name is only a label: the server keeps its last segment after '/' or '\' (so traversal names
        // cannot point anywhere) when that is a printable line of at most 255 characters, and refuses the rest.
        // filename* is percent-encoded UTF-8: a lone surrogate (sent as the invalid bytes of its code point) arrives
        // as U+FFFD, so what the server sees is the UTF-8 decoding of what was sent.
        var lastSegment = Encoding.UTF8.GetString(HostileEncoding.Wtf8(fileName)).Replace('\\', '/').Split('/')[^1];
        if (HostileString.IsPrintableLineText(lastSegment) && lastSegment.Length <= 255)
        {
            await AssertStoredAndDeleteAsync(response, before, Body, source: lastSegment);
        }
        else
        {
            await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_HostilePartNameInsteadOfFile_Refused(string name)
    {
        var before = await f.SnapshotAsync();

        // The file arrives under a hostile form-field name: the request has no 'file' part (or, for names that
        // break the part header, no readable body at all).
        var response = await PostMultipartAsync(Part.File(HostileStrings.Get(name).Value, "note.txt", Body));

        await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task PostDocument_ExtraHostileParts_IgnoredAndCallersDocumentUnchanged(string name)
    {
        var hostile = HostileStrings.Get(name).Value;
        var before = await f.SnapshotAsync();

        // alice re-uploads her existing extra.txt among unknown parts with hostile names and values, and fields that
        // try to name another tenant or owner: they change nothing, and the upload is recognised as alice's own
        // unchanged document in her own tenant (200 "unchanged", no row changed anywhere).
        var response = await PostMultipartAsync(
            Part.Field(hostile, hostile),
            Part.Field("tenant_id", f.Other.Value),
            Part.Field("owner_id", "eve"),
            Part.File("file", HostileInputFixture.ExtraFileName, HostileInputFixture.ExtraFileText),
            Part.File(hostile, "second.txt", "a second file under a hostile name"));

        // A part name travels raw inside a quoted header value: a name that is no valid quoted-string (a bare quote,
        // a CRLF, a trailing lone backslash) breaks that header, and one over the 16 KB header limit cannot
        // be read; either way the whole body is malformed (400). Any other name is just a part nobody asked for.
        if (BreaksQuotedString(hostile) || hostile.Length > 16 * 1024)
        {
            await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
        }
        else
        {
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK && body.Contains("\"unchanged\":1", StringComparison.Ordinal), $"got {(int)response.StatusCode}: {Shorten(body)}");
            await AssertUnchangedAsync(before);
        }
    }

    [Theory]
    [InlineData("empty.txt", "")]
    [InlineData("blank.md", " \n\t\n")]
    [InlineData("invalid-utf8.txt", "ff-fe")]
    [InlineData("nul.txt", "nul")]
    [InlineData("scan.pdf", "%PDF-1.7 not really a pdf")]
    [InlineData("only-script.html", "<script>alert(1)</script>")]
    [InlineData("program.exe", "MZ")]
    public async Task PostDocument_FileWithoutUsableText_RejectedAs422(string fileName, string content)
    {
        byte[] bytes = content switch
        {
            "ff-fe" => [(byte)'a', 0xFF, 0xFE, (byte)'b'],
            "nul" => [(byte)'a', 0, (byte)'b'],
            _ => Encoding.UTF8.GetBytes(content),
        };
        var before = await f.SnapshotAsync();

        var response = await PostMultipartAsync(new Part("file", fileName, bytes));

        // Uploads are files: one that is empty, not UTF-8, binary, a corrupt PDF, of an unknown type or without any
        // text is a well-formed request for a document that cannot be made (422), and nothing is stored.
        await AssertRefusedAsync(response, before, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task PostDocument_JsonFieldsNamingAnotherTenantOrOwner_Ignored()
    {
        var before = await f.SnapshotAsync();

        var response = await f.PostJsonAsync("/v1/documents", f.Alice, ("title", "mass assignment"), ("text", Body),
            ("tenant_id", f.Other.Value), ("tenantId", f.Other.Value), ("owner_id", "eve"), ("ownerId", "eve"), ("id", f.OtherDocument.ToString()));

        await AssertStoredAndDeleteAsync(response, before, "mass assignment");
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task GetAndDeleteDocument_HostileId_Returns404(string name)
    {
        var segment = HostileEncoding.Percent(HostileStrings.Get(name).Value);
        var before = await f.SnapshotAsync();

        var get = await f.SendAsync(HttpMethod.Get, "/v1/documents/" + segment, f.Alice);
        var delete = await f.SendAsync(HttpMethod.Delete, "/v1/documents/" + segment, f.Alice);

        // Ids are GUIDs; anything else names no document (404), or is no valid path at all (Kestrel: 400 for NUL,
        // 414 for a megabyte). An empty or "." segment is the list route, which has no DELETE; ".." is /v1/.
        if (segment is "" or "%2E")
        {
            await AssertOkAsync(get);
            await AssertRefusedAsync(delete, before, HttpStatusCode.MethodNotAllowed);
            return;
        }

        var refused = NotARoute(segment);
        await AssertProblemAsync(get, refused);
        await AssertRefusedAsync(delete, before, refused);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task ListDocuments_HostileFilterCursorOrLimit_CallersViewOrRefused(string name)
    {
        var hostile = HostileStrings.Get(name).Value;
        var encoded = HostileEncoding.Percent(hostile);
        var before = await f.SnapshotAsync();

        var filter = await f.SendAsync(HttpMethod.Get, "/v1/documents?q=" + encoded, f.Alice);
        var cursor = await f.SendAsync(HttpMethod.Get, "/v1/documents?cursor=" + encoded, f.Alice);
        var limit = await f.SendAsync(HttpMethod.Get, "/v1/documents?limit=" + encoded, f.Alice);

        // What the server decodes (invalid UTF-8 stays percent-encoded). An empty parameter is an absent one. The filter
        // is text like a search query (printable, line breaks allowed, at most 2000 characters once trimmed; blank is
        // no filter) and finds only what the caller may see; a cursor is only ever one the server made (none of these
        // is); a limit is a whole number from 1 to 200. Anything else is 400, and a megabyte is no valid request line.
        var seen = Uri.UnescapeDataString(encoded);
        var tooLong = encoded.Length > 8000 ? HttpStatusCode.RequestUriTooLong : HttpStatusCode.BadRequest;
        if (seen.Trim().Length == 0 || (HostileString.IsPrintableMultilineText(seen) && seen.Trim().Length <= 2000 && encoded.Length <= 8000))
        {
            AssertListedOnlyCallersView(await AssertOkAsync(filter));
        }
        else
        {
            await AssertProblemAsync(filter, tooLong);
        }

        if (seen.Length == 0)
        {
            AssertListedOnlyCallersView(await AssertOkAsync(cursor));
        }
        else
        {
            await AssertProblemAsync(cursor, tooLong);
        }

        if (seen.Length == 0 || (int.TryParse(seen, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 200))
        {
            AssertListedOnlyCallersView(await AssertOkAsync(limit));
        }
        else
        {
            await AssertProblemAsync(limit, tooLong);
        }

        await AssertUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task GetDocumentContent_HostileId_Returns404(string name)
    {
        var segment = HostileEncoding.Percent(HostileStrings.Get(name).Value);
        var before = await f.SnapshotAsync();

        var get = await f.SendAsync(HttpMethod.Get, "/v1/documents/" + segment + "/content", f.Alice);

        // Ids are GUIDs; anything else names no document's content (an empty segment, "." or ".." name no route).
        await AssertRefusedAsync(get, before, NotARoute(segment));
    }

    [Theory]
    [InlineData("D")]
    [InlineData("N")]
    [InlineData("B")]
    [InlineData("P")]
    [InlineData("upper")]
    public async Task GetAndDeleteDocument_OtherTenantsIdInAnyGuidForm_Returns404(string format)
    {
        var id = format == "upper" ? f.OtherDocument.ToString().ToUpperInvariant() : f.OtherDocument.ToString(format);
        var before = await f.SnapshotAsync();

        var get = await f.SendAsync(HttpMethod.Get, "/v1/documents/" + HostileEncoding.Percent(id), f.Alice);
        var delete = await f.SendAsync(HttpMethod.Delete, "/v1/documents/" + HostileEncoding.Percent(id), f.Alice);

        await AssertProblemAsync(get, HttpStatusCode.NotFound);
        await AssertRefusedAsync(delete, before, HttpStatusCode.NotFound);
    }

    // A list: titles of the caller's tenant only, never a colleague's private one or another tenant's.
    private static void AssertListedOnlyCallersView(string body)
    {
        Assert.DoesNotContain("Bob's salary", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Other payroll", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Bystander notes", body, StringComparison.Ordinal);
    }

    // A quoted-string as ASP.NET's multipart reader takes it: no bare '"', a backslash always escapes a following
    // character, and CRLF ends the header line (a lone CR or LF is tolerated).
    private static bool BreaksQuotedString(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"' || (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') || (text[i] == '\\' && ++i == text.Length))
            {
                return true;
            }
        }

        return false;
    }

    private Task<HttpResponseMessage> PostMultipartAsync(params Part[] parts)
    {
        const string boundary = "hostile-boundary-7f3a";
        var body = new List<byte>();
        foreach (var part in parts)
        {
            body.AddRange(Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\""));
            body.AddRange(HostileEncoding.Wtf8(part.Name));
            body.Add((byte)'"');
            if (part.FileName is not null)
            {
                // RFC 5987 form: the server decodes exactly the hostile name, NUL, quotes and line breaks included.
                body.AddRange(Encoding.ASCII.GetBytes("; filename*=UTF-8''" + HostileEncoding.Percent(part.FileName)));
            }

            body.AddRange("\r\n\r\n"u8.ToArray());
            body.AddRange(part.Content);
            body.AddRange("\r\n"u8.ToArray());
        }

        body.AddRange(Encoding.ASCII.GetBytes($"--{boundary}--\r\n"));
        return f.PostAsync("/v1/documents", f.Alice, [.. body], $"multipart/form-data; boundary={boundary}");
    }

    /// <summary>One multipart part: a form field, or a file when <see cref="FileName"/> is set.</summary>
    private sealed record Part(string Name, string? FileName, byte[] Content)
    {
        public static Part Field(string name, string value) => new(name, null, HostileEncoding.Wtf8(value));

        public static Part File(string name, string fileName, string content) => new(name, fileName, HostileEncoding.Wtf8(content));
    }
}
