using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// Document rankings with <see cref="RetrievalOptions.SecondChunkWeight"/>: a page whose two chunks both match can
/// outrank a page with one better chunk, and at 0 a page ranks where its best chunk ranks.
/// </summary>
public sealed class PageAggregationTests(PostgresServer server, MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private const string Prefix = "srch_pages";
    private const string Query = "lantern harbour";

    [Fact]
    public async Task SearchDocumentsAsync_SecondChunkWeight_TwoMatchingChunksOutrankOneBetterChunk()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        var single = await Corpus.AddAsync(database, alice, model.Generator, "Single", "Lantern harbour, lantern harbour.");
        var pair = await Corpus.AddAsync(database, alice, model.Generator, "Pair",
            "The lantern by the harbour wall was lit at dusk by the keeper of the light.\n\nA second lantern marks the harbour mouth for the boats that come home late in the evening.");
        var other = await Corpus.AddAsync(database, alice, model.Generator, "Other",
            "The harbour master keeps a log of every boat that comes in, with its name, its cargo and the hour it was tied up.");

        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, model.Generator, cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };
        RetrievalOptions[] settings = [lexical, lexical with { SecondChunkWeight = 0.1 }, lexical with { SecondChunkWeight = 0.5 }];

        var chunks = await search.SearchAsync(alice, Query, 10, lexical, ct);
        var pages = await search.SearchDocumentsAsync(alice, Query, 10, settings, ct);

        // The chunks: the single page's one chunk first, then the pair's two, then the other page's.
        Assert.Equal([single, pair, pair, other], chunks.Hits.Select(h => h.Chunk.DocumentId));
        // At 0 each page ranks where its best chunk ranks; at 0.1 the pair's second chunk (rank 3) adds 0.1 / 8, less than
        // the gap between ranks 1 and 2 (1/6 - 1/7); at 0.5 it adds 0.5 / 8 and the pair comes first.
        Assert.Equal([single, pair, other], pages[0].Documents.Select(d => d.DocumentId));
        Assert.Equal([single, pair, other], pages[1].Documents.Select(d => d.DocumentId));
        Assert.Equal([pair, single, other], pages[2].Documents.Select(d => d.DocumentId));
        Assert.Equal((1.0 / 7) + (0.5 / 8), pages[2].Documents[0].Score, 6);
        Assert.Equal([1, 2, 3], pages[2].Documents.Select(d => d.LexicalRank ?? 0));
        Assert.Equal(chunks.Hits[1].Chunk.Id, pages[2].Documents[0].BestChunk.Id);
    }
}
