namespace TenantRag.Rag.Tests.Ingestion;

public sealed class HtmlDocumentExtractorTests
{
    private const string Page = """
        <!DOCTYPE html>
        <html>
        <head>
          <title>  Pricing   Guide </title>
          <style>body { color: SECRETSTYLE; }</style>
          <script>var tracking = "SECRETSCRIPT";</script>
        </head>
        <body>
          <header><a href="/">SECRETHEADER logo</a></header>
          <nav><ul><li>SECRETNAV Home</li><li>About</li></ul></nav>
          <noscript>SECRETNOSCRIPT enable JS</noscript>
          <template><p>SECRETTEMPLATE</p></template>
          <main>
            <h1>Pricing Guide</h1>
            <p>Our plans are   simple
               and   <b>fair</b>.</p><p>Second paragraph.</p>
            <div>Block one</div><div>Block two<br>with a line break</div>
            <h2>Plans</h2>
            <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>$5</td></tr></table>
            <h3>Enterprise</h3>
            <p>Call&nbsp;us &amp; ask.</p>
            <svg><text>SECRETSVG</text></svg>
            <iframe src="x">SECRETIFRAME</iframe>
            <form><label>SECRETFORM email</label><input name="e"></form>
            <p hidden>SECRETHIDDEN</p>
          </main>
          <aside>SECRETASIDE related links</aside>
          <footer>SECRETFOOTER copyright</footer>
          <script>document.write("SECRETSCRIPT2")</script>
        </body>
        </html>
        """;

    [Fact]
    public async Task Noise_is_removed_and_headings_become_sections()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("pricing.html", Page));
        var all = Extract.AllText(document);

        Assert.Equal("Pricing Guide", document.Title);
        Assert.DoesNotContain("SECRET", all, StringComparison.Ordinal);
        Assert.DoesNotContain("<", all, StringComparison.Ordinal);
        Assert.Equal<string?>([null, "Plans", "Plans > Enterprise"], document.Sections.Select(s => s.HeadingPath));
        Assert.Equal(
            "Our plans are simple and fair.\n\nSecond paragraph.\n\nBlock one\n\nBlock two\nwith a line break",
            document.Sections[0].Text);
        Assert.Equal("Plan; Price\nBasic; $5", document.Sections[1].Text);
        Assert.Equal("Call us & ask.", document.Sections[2].Text);
    }

    [Fact]
    public async Task Without_title_element_the_first_h1_is_the_title()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("page.HTM", "<html><body><h1>Welcome  Home</h1><p>Hello there.</p><h2>More</h2><p>Details.</p></body></html>"));

        Assert.Equal("Welcome Home", document.Title);
        Assert.Equal<string?>([null, "More"], document.Sections.Select(s => s.HeadingPath));
    }

    [Fact]
    public async Task Without_title_or_h1_the_title_is_the_file_name()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("fragment.html", "<p>Just a paragraph.</p>"));

        Assert.Equal("fragment", document.Title);
        Assert.Equal("Just a paragraph.", Assert.Single(document.Sections).Text);
    }

    [Fact]
    public async Task MdBook_help_popup_and_menu_bar_are_noise_not_the_first_section()
    {
        // As mdBook writes every page of a book: its help popup (hidden by the stylesheet) comes first, with a heading.
        const string page = """
            <html><head><title>cargo clean - The Cargo Book</title></head><body>
            <div id="mdbook-help-container"><div id="mdbook-help-popup"><h2 class="mdbook-help-title">Keyboard shortcuts</h2>
              <div><p>Press <kbd>S</kbd> or <kbd>/</kbd> to search in the book</p></div></div></div>
            <div id="mdbook-page-wrapper"><div id="mdbook-menu-bar" class="menu-bar"><h1 class="menu-title">The Cargo Book</h1></div>
            <main><h1>cargo-clean(1)</h1><h2>DESCRIPTION</h2><p>With no options, cargo clean will delete the entire target directory.</p></main></div>
            </body></html>
            """;
        using var dir = new TempDirectory();

        var document = await Extract.SingleAsync(dir.Write("cargo-clean.html", page));

        var section = Assert.Single(document.Sections);
        Assert.Equal("cargo-clean(1) > DESCRIPTION", section.HeadingPath);
        Assert.Equal("With no options, cargo clean will delete the entire target directory.", section.Text);
    }
}
