using BenchmarkDotNet.Attributes;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Chunking;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Benchmarks;

/// <summary>
/// The token-aware chunker (default sizes: about 200 tokens, 15% overlap) with the bundled model's tokenizer, over a
/// real text: the repository's docs/DESIGN.md (embedded at build time), extracted as Markdown once.
/// </summary>
[MemoryDiagnoser]
public class ChunkerBenchmarks
{
    private TokenAwareChunker? _chunker;
    private ExtractedDocument? _document;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _chunker = new TokenAwareChunker(MiniLmTokenizer.LoadBundled());
        await using var text = typeof(ChunkerBenchmarks).Assembly.GetManifestResourceStream("DESIGN.md")
            ?? throw new InvalidOperationException("DESIGN.md is not embedded in this assembly");
        var extracted = await new MarkdownDocumentExtractor().ExtractAsync(text, "DESIGN.md", CancellationToken.None).ConfigureAwait(false);
        _document = extracted.Documents.Single();
    }

    [Benchmark(Description = "chunk docs/DESIGN.md")]
    public IReadOnlyList<DocumentChunk> Chunk() => _chunker!.Chunk(_document!);
}
