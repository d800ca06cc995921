using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>Querying with another model than the stored vectors' is a clear error naming <c>tenantrag reembed</c>, and re-embedding fixes it.</summary>
public sealed class EmbeddingModelMismatchTests(PostgresServer server)
{
    private const string Prefix = "srch_model";

    [Fact]
    public async Task SearchAsync_StoredVectorsOfAnotherModel_ThrowsNamingBothModelsAndTheReembedCommand()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var stored = new BagOfWordsEmbeddingGenerator("fake-bow-old", 128);
        var configured = new BagOfWordsEmbeddingGenerator("fake-bow-new", 64);
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        await Corpus.AddAsync(database, alice, stored, "Comets", "Comets grow tails of gas and dust near the sun.");
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, configured, cache);

        var error = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => search.SearchAsync(alice, "comet tail", 5, cancellationToken: ct));
        var askError = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => new AnswerService(search).AskAsync(alice, "Why do comets have tails?", 5, ct));
        var lexical = await search.SearchAsync(alice, "comet tail", 5, RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical }, ct);

        Assert.Contains($"'tenantrag reembed {tenant.Slug}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("fake-bow-old (128 dimensions)", error.Message, StringComparison.Ordinal);
        Assert.Contains("fake-bow-new (64 dimensions)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.ExitCode);
        Assert.Equal(error.Message, askError.Message);
        Assert.Single(lexical.Hits);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task DistinctEmbeddingModelsAsync_SeveralModels_ListsExactlyTheModelsTheUserSees(TenancyMode mode)
    {
        // The loose index scan every search runs once per data version: each (model, dimensions) pair once, another
        // user's private chunks and another tenant's chunks not seen, the same set as the counting query.
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Corpus.TenantAsync(database, mode);
        var neighbour = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        var bob = Corpus.As(tenant, "bob");
        await Corpus.AddAsync(database, alice, new BagOfWordsEmbeddingGenerator("bow-a", 128), "One", "Comets grow tails.\n\nTails point away.");
        await Corpus.AddAsync(database, alice, new BagOfWordsEmbeddingGenerator("bow-a", 64), "Two", "Planets orbit the sun.");
        await Corpus.AddAsync(database, alice, new BagOfWordsEmbeddingGenerator("bow-b", 32), "Three", "Moons orbit planets.");
        await Corpus.AddAsync(database, bob, new BagOfWordsEmbeddingGenerator("bow-c", 16), "Diary", "Bob saw a comet.", DocumentVisibility.Private);
        await Corpus.AddAsync(database, Corpus.As(neighbour, "alice"), new BagOfWordsEmbeddingGenerator("bow-d", 8), "Elsewhere", "Another tenant's text.");

        async Task<(EmbeddingModel[] Distinct, EmbeddingModel[] Counted)> ModelsAsync(TenantContext who)
        {
            await using var session = await database.Search.OpenAsync(who, ct);
            var distinct = await session.DistinctEmbeddingModelsAsync(ct);
            var counted = await session.EmbeddingModelsAsync(ct);
            return ([.. distinct.OrderBy(m => m.Name).ThenBy(m => m.Dimensions)], [.. counted.Select(m => m.Model).OrderBy(m => m.Name).ThenBy(m => m.Dimensions)]);
        }

        var asAlice = await ModelsAsync(alice);
        var asBob = await ModelsAsync(bob);

        EmbeddingModel[] shared = [new("bow-a", 64), new("bow-a", 128), new("bow-b", 32)];
        Assert.Equal(shared, asAlice.Distinct);
        Assert.Equal(asAlice.Counted, asAlice.Distinct);
        Assert.Equal([.. shared, new("bow-c", 16)], asBob.Distinct);
        Assert.Equal(asBob.Counted, asBob.Distinct);
    }

    [Fact]
    public async Task ReembedAsync_EveryOwnersChunks_MakesSearchWorkWithTheNewModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var stored = new BagOfWordsEmbeddingGenerator("fake-bow-old", 128);
        var configured = new BagOfWordsEmbeddingGenerator("fake-bow-new", 64);
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Dedicated);
        var alice = Corpus.As(tenant, "alice");
        var bob = Corpus.As(tenant, "bob");
        var comets = await Corpus.AddAsync(database, alice, stored, "Comets", "Comets grow tails of gas and dust near the sun.\n\nTheir nucleus is ice and rock.");
        var diary = await Corpus.AddAsync(database, bob, stored, "Bob's diary", "Bob watched a comet with a long tail last night.", DocumentVisibility.Private);
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, configured, cache);
        var vectorOnly = RetrievalOptions.Default with { Retriever = RetrieverKind.Vector };
        var reembedder = new Reembedder(new PostgresReembedStore(database), configured, batchSize: 2);

        // Alice's chunks alone: Alice's view is consistent again, Bob still sees his own private chunk of the old model.
        var onlyAlice = await reembedder.ReembedAsync(tenant.Slug, alice.User, cancellationToken: ct);
        var aliceAfterHers = await search.SearchAsync(alice, "comet tail", 5, vectorOnly, ct);
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => search.SearchAsync(bob, "comet tail", 5, vectorOnly, ct));
        var everyone = await reembedder.ReembedAsync(tenant.Slug, cancellationToken: ct);
        var bobAfterAll = await search.SearchAsync(bob, "comet tail", 5, vectorOnly, ct);
        var again = await reembedder.ReembedAsync(tenant.Slug, cancellationToken: ct);

        Assert.Equal(2, onlyAlice.Chunks);
        Assert.Equal([alice.User], onlyAlice.Owners);
        Assert.Equal(comets, aliceAfterHers.Hits[0].Chunk.DocumentId);
        Assert.Equal(1, everyone.Chunks);
        Assert.Equal([bob.User], everyone.Owners);
        Assert.Equal(diary, bobAfterAll.Hits[0].Chunk.DocumentId);
        Assert.Equal(3, bobAfterAll.Hits.Count);
        Assert.Equal((0, 0), (again.Chunks, again.Owners.Count));
        Assert.Equal(3L, await server.ScalarAsync<long>(tenant.Database,
            "SELECT count(*) FROM chunks WHERE tenant_id = $1 AND embedding_model = 'fake-bow-new' AND embedding_dims = 64 AND octet_length(embedding) = 256", tenant.Id));
    }
}
