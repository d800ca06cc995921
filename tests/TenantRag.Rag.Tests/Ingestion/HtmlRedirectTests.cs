using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Testing;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>
/// HTML pages without text of their own: real redirect pages of the Rust documentation (mdBook's and rustdoc's), the
/// forms of <c>&lt;meta http-equiv="refresh"&gt;</c> the HTML standard reads as a redirect and those it does not, and pages
/// with no body text.
/// </summary>
public sealed class HtmlRedirectTests
{
    private static readonly string Words = string.Join(' ', Enumerable.Repeat("Plenty of words here.", 13));

    [Theory]
    [InlineData(RustDocPages.BookRedirect)]
    [InlineData(RustDocPages.RustdocRedirect)]
    public async Task Real_redirect_only_page_is_rejected_as_RedirectOnly(string page)
    {
        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(RustDocPages.Path(page)));

        Assert.Equal(DocumentRejectionReason.RedirectOnly, ex.Reason);
        Assert.Equal(page, ex.FileName);
        Assert.DoesNotContain(".html", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_page_with_text_of_its_own_is_kept()
    {
        var document = await Extract.SingleAsync(RustDocPages.Path(RustDocPages.ContentPage));

        Assert.Equal("Concurrency", document.Title);
        Assert.Contains(RustDocPages.ContentSentence, Extract.AllText(document), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0; url=next.html")]
    [InlineData("0;URL='next.html'")]
    [InlineData("  3 ,  \"https://example.com/next\"")]
    [InlineData("0.5; https://example.com/next")]
    [InlineData("0; url = next.html")]
    public async Task Refresh_naming_an_address_with_little_text_is_RedirectOnly(string content)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("moved.html", $"<html><head><meta http-equiv=\"Refresh \" content=\"{content.Replace("\"", "&quot;", StringComparison.Ordinal)}\"><title>Moved</title></head><body><p>This page moved to <a href=\"next.html\">next.html</a>.</p></body></html>");

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.RedirectOnly, ex.Reason);
    }

    [Theory]
    [InlineData("http-equiv=\"refresh\" content=\"30\"")]
    [InlineData("http-equiv=\"refresh\" content=\"url=next.html\"")]
    [InlineData("http-equiv=\"refresh\" content=\"0; url=\"")]
    [InlineData("name=\"refresh\" content=\"0; url=next.html\"")]
    [InlineData("http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"")]
    public async Task Meta_that_does_not_redirect_keeps_a_short_page(string attributes)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("short.html", $"<html><head><meta {attributes}><title>Short</title></head><body><p>A short note.</p></body></html>");

        var document = await Extract.SingleAsync(path);

        Assert.Equal("A short note.", Extract.AllText(document));
    }

    [Fact]
    public async Task Redirecting_page_with_more_than_a_notice_of_text_is_kept()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("article.html", $"<html><head><meta http-equiv=\"refresh\" content=\"60; url=next.html\"><title>Article</title></head><body><p>{Words}</p></body></html>");

        var document = await Extract.SingleAsync(path);

        Assert.True(Words.Split(' ').Length > HtmlDocumentExtractor.MaxRedirectPageWords);
        Assert.Equal(Words, Extract.AllText(document));
    }

    [Theory]
    [InlineData("<html><head><title>Settings</title><script src=\"app.js\"></script></head><body></body></html>")]
    [InlineData("<html><head><title>Only a heading</title></head><body><nav><a href=\"/\">Home</a></nav><h1>Only a heading</h1><footer>(c) 2026</footer></body></html>")]
    [InlineData("<!DOCTYPE html><title>Nothing</title>")]
    public async Task Page_without_body_text_is_rejected_as_NoExtractableText(string html)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("empty.html", html);

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.NoExtractableText, ex.Reason);
        Assert.Contains("body text", ex.Detail, StringComparison.Ordinal);
    }
}
