using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Rag.Tests.Ingestion.Pipeline;

public sealed class IngestionInputTests
{
    [Fact]
    public void FromPaths_Directory_RecursesInOrdinalOrderWithRelativeSourcesAndSkipsHidden()
    {
        using var dir = new TempDirectory();
        dir.Write("b.md", "# B");
        dir.Write("a.txt", "A");
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub", "deeper"));
        dir.Write(Path.Combine("sub", "deeper", "c.html"), "<p>C</p>");
        dir.Write(Path.Combine("sub", "Z.pdf"), "not checked here");
        dir.Write(".hidden.md", "# Hidden");
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git"));
        dir.Write(Path.Combine(".git", "config.txt"), "hidden too");

        var inputs = IngestionInput.FromPaths([dir.Path]);

        Assert.Equal(["a.txt", "b.md", "sub/Z.pdf", "sub/deeper/c.html"], inputs.Select(i => i.Source));
        Assert.Equal(["a.txt", "b.md", "Z.pdf", "c.html"], inputs.Select(i => i.FileName));
        Assert.All(inputs, i => Assert.True(File.Exists(i.FilePath)));
    }

    [Fact]
    public void FromPaths_FileAndDirectory_FileIsKeyedByItsNameAndOrderIsKept()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("notes.md", "# Notes");
        Directory.CreateDirectory(Path.Combine(dir.Path, "docs"));
        dir.Write(Path.Combine("docs", "guide.md"), "# Guide");

        var inputs = IngestionInput.FromPaths([Path.Combine(dir.Path, "docs"), file]);

        Assert.Equal(["guide.md", "notes.md"], inputs.Select(i => i.Source));
    }

    [Fact]
    public void FromPaths_MissingPath_ThrowsUsageExceptionNamingIt()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "nope.md");

        var ex = Assert.Throws<UsageException>(() => IngestionInput.FromPaths([missing]));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("nope.md' does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBytes_Upload_KeepsNameAndContent()
    {
        var input = IngestionInput.FromBytes("report.md", "# Report"u8.ToArray(), source: "uploads/report.md");

        Assert.Equal(("uploads/report.md", "report.md", null), (input.Source, input.FileName, input.FilePath));
        Assert.Equal(8, input.Content.Length);
    }
}
