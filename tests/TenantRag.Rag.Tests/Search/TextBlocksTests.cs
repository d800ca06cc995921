using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class TextBlocksTests
{
    [Fact]
    public void Of_ManualSection_TellsCommandsConfigurationAndOptionsFromProse()
    {
        var blocks = TextBlocks.Of(
            "You can also run a specific test by passing a filter:\n\n$ cargo test foo\n\nThis will run any test with foo in its name.\n\n" +
            "As an example, this will filter for tests:\n\ncargo test foo -- --test-threads 3\n\n[profile.dev]\nopt-level = 1\n\n" +
            "-r\n\n--release\n\nBuild optimized artifacts with the release profile.\n\n" +
            "Examples go in the examples directory\n\nlib — used to link with binaries, examples, integration tests, and doc tests\n\n" +
            "Trade-offs:\n\n✅ Faster code generation (cargo build)");

        Assert.Equal(
            [
                TextBlockKind.Prose, TextBlockKind.Code, TextBlockKind.Prose, TextBlockKind.Prose, TextBlockKind.Code, TextBlockKind.Code,
                TextBlockKind.Term, TextBlockKind.Term, TextBlockKind.Prose, TextBlockKind.Prose, TextBlockKind.Prose,
                TextBlockKind.Prose, TextBlockKind.Prose,
            ],
            blocks.Select(b => b.Kind));
        Assert.Equal("[profile.dev]\nopt-level = 1", blocks[5].Text);
    }

    [Theory]
    [InlineData("cargo build --release", true)]
    [InlineData("git clone https://github.com/rust-lang/regex.git", true)]
    [InlineData("serde = { version = \"1.0\" }", true)]
    [InlineData("fn main() {", true)]
    [InlineData("Add it to the [dependencies] table with workspace = true.", false)]
    [InlineData("cargo build puts the binary in the target directory", false)]
    [InlineData("Integration tests go in the tests directory", false)]
    public void IsCodeLine_ByShape(string line, bool code)
    {
        Assert.Equal(code, TextBlocks.IsCodeLine(line));
    }
}
