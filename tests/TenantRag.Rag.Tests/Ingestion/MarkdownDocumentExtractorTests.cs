namespace TenantRag.Rag.Tests.Ingestion;

public sealed class MarkdownDocumentExtractorTests
{
    private const string Markdown = """
        ---
        author: ops team
        ---
        # Acme CLI

        Acme is a **fast** tool for _managing_ [widgets](https://example.com/widgets).

        ## Install

        Download the release from the site.

        ### Linux

        Run the following:

        ```bash
        sudo apt install acme
        acme --version
        ```

        > Note: root is required.

        ### Windows

        - Use `winget install acme`
        - Or the *MSI* installer
          - 64-bit only

        ## Usage

        | Command | Effect |
        |---------|--------|
        | run     | starts |
        | stop    | stops  |

        ![architecture diagram](diagram.png)
        <!-- internal comment -->

        <div align="center"><b>Centered</b> footer</div>
        """;

    [Fact]
    public async Task Headings_become_section_paths_and_title_is_first_h1()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("acme.md", Markdown));

        Assert.Equal("Acme CLI", document.Title);
        Assert.Equal<string?>(
            [null, "Install", "Install > Linux", "Install > Windows", "Usage"],
            document.Sections.Select(s => s.HeadingPath));
        Assert.Equal("Acme is a fast tool for managing widgets.", document.Sections[0].Text);
    }

    [Fact]
    public async Task Code_is_kept_and_markup_is_removed()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("acme.md", Markdown));
        var linux = document.Sections.Single(s => s.HeadingPath == "Install > Linux").Text;
        var windows = document.Sections.Single(s => s.HeadingPath == "Install > Windows").Text;
        var usage = document.Sections.Single(s => s.HeadingPath == "Usage").Text;
        var all = Extract.AllText(document);

        Assert.Contains("sudo apt install acme\nacme --version", linux, StringComparison.Ordinal);
        Assert.Contains("Note: root is required.", linux, StringComparison.Ordinal);
        Assert.Equal("Use winget install acme\nOr the MSI installer\n64-bit only", windows);
        Assert.Contains("Command; Effect\nrun; starts\nstop; stops", usage, StringComparison.Ordinal);
        Assert.Contains("architecture diagram", usage, StringComparison.Ordinal);
        Assert.Contains("Centered footer", usage, StringComparison.Ordinal);
        foreach (var noise in new[] { "#", "**", "```", "`", "](", "[", "|", "---", "<!--", "<div", "internal comment", "author: ops", "https://example.com", "diagram.png" })
        {
            Assert.DoesNotContain(noise, all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_h1_the_title_is_the_file_name()
    {
        using var dir = new TempDirectory();
        var document = await Extract.SingleAsync(dir.Write("setup-guide.md", "## Step one\n\nDo this.\n\n## Step two\n\nDo that.\n"));

        Assert.Equal("setup-guide", document.Title);
        Assert.Equal<string?>(["Step one", "Step two"], document.Sections.Select(s => s.HeadingPath));
    }
}
