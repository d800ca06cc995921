using TenantRag.Rag.Ingestion;

namespace TenantRag.Rag.Tests.Ingestion;

public sealed class BeirJsonlDocumentExtractorTests
{
    [Fact]
    public async Task Each_line_is_a_document_and_bad_lines_are_reported_with_line_numbers()
    {
        using var dir = new TempDirectory();
        var corpus = string.Join('\n',
            """{"_id": "4983", "title": "Microstructural development of human brain", "text": "Alterations of the architecture of cerebral white matter.", "metadata": {}}""",
            """{"_id": "5836", "title": "Induction of myelodysplasia", "text": "Myelodysplastic syndromes are a group of disorders.""",
            "",
            """{"title": "No id here", "text": "Orphan text."}""",
            """{"_id": 7912, "title": "", "text": "Numeric id and empty title."}""",
            """{"_id": "4983", "title": "Duplicate", "text": "Same id again."}""",
            """[1, 2, 3]""");
        var path = dir.Write("corpus.jsonl", corpus);

        var result = await Extract.FileAsync(path);

        Assert.Equal<string?>(["4983", "7912"], result.Documents.Select(d => d.ExternalId));
        Assert.Equal("Microstructural development of human brain", result.Documents[0].Title);
        Assert.Equal("Alterations of the architecture of cerebral white matter.", Assert.Single(result.Documents[0].Sections).Text);
        Assert.Equal("7912", result.Documents[1].Title);
        Assert.All(result.Documents, d => Assert.Equal("corpus.jsonl", d.SourceFileName));

        Assert.Equal([2, 4, 6, 7], result.Issues.Select(i => i.LineNumber ?? 0).ToArray());
        Assert.Contains("invalid JSON", result.Issues[0].Reason, StringComparison.Ordinal);
        Assert.Contains("_id", result.Issues[1].Reason, StringComparison.Ordinal);
        Assert.Contains("duplicate", result.Issues[2].Reason, StringComparison.Ordinal);
        Assert.Contains("object", result.Issues[3].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Issues, i => i.Reason.Contains("Myelodysplastic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task File_with_only_bad_lines_is_rejected_listing_the_lines()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("broken.jsonl", "not json\n{\"_id\": \"1\"}\n");

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.InvalidContent, ex.Reason);
        Assert.Contains("line 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }
}
