using TenantRag.Documents;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// Private documents stay their owner's through search and ask, in both isolation models, even when the owner's
/// private partition sits in the very cache instance the next user searches; another tenant's chunks never appear.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class SearchIsolationTests(PostgresServer server)
{
    private const string Prefix = "srch_iso";
    private const string Query = "zebra bonus salary review";

    private static readonly RetrievalOptions[] AllRetrievers =
    [
        RetrievalOptions.Default with { Retriever = RetrieverKind.Hybrid },
        RetrievalOptions.Default with { Retriever = RetrieverKind.Vector },
        RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical },
    ];

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task SearchAsync_AfterOwnerLoadedPrivatePartition_OtherUserNeverGetsPrivateChunk(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var embeddings = new BagOfWordsEmbeddingGenerator();
        var tenant = await Corpus.TenantAsync(database, mode);
        var neighbour = await Corpus.TenantAsync(database, mode);
        var alice = Corpus.As(tenant, "alice");
        var bob = Corpus.As(tenant, "bob");
        var carol = Corpus.As(neighbour, "carol");
        var alicePrivate = await Corpus.AddAsync(database, alice, embeddings, "Salary review", "Alice's private salary review: the zebra bonus is confidential.", DocumentVisibility.Private);
        var handbook = await Corpus.AddAsync(database, alice, embeddings, "Team handbook", "The team handbook explains the zebra office rules and the review calendar.");
        var bobPrivate = await Corpus.AddAsync(database, bob, embeddings, "Bob's notes", "Bob keeps private notes about the zebra garden and his bonus ideas.", DocumentVisibility.Private);
        var neighbours = await Corpus.AddAsync(database, carol, embeddings, "Neighbour review", "Zebra bonus salary review of the neighbouring tenant.");
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, embeddings, cache);

        var aliceSees = await search.SearchAsync(alice, Query, 10, cancellationToken: ct);
        var cachedAfterAlice = cache.GetStatistics().Entries;
        var bobSees = new List<SearchResult>();
        foreach (var options in AllRetrievers)
        {
            bobSees.Add(await search.SearchAsync(bob, Query, 100, options, ct));
        }

        var bobDocuments = await search.SearchDocumentsAsync(bob, Query, 100, cancellationToken: ct);
        var carolSees = await search.SearchAsync(carol, Query, 100, cancellationToken: ct);

        Assert.Contains(alicePrivate, aliceSees.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Equal(4, cachedAfterAlice); // vector and full-text: the tenant partition and alice's own
        foreach (var result in bobSees)
        {
            Assert.DoesNotContain(alicePrivate, result.Hits.Select(h => h.Chunk.DocumentId));
            Assert.DoesNotContain(neighbours, result.Hits.Select(h => h.Chunk.DocumentId));
            Assert.Contains(handbook, result.Hits.Select(h => h.Chunk.DocumentId));
            Assert.Contains(bobPrivate, result.Hits.Select(h => h.Chunk.DocumentId));
        }

        Assert.Equal(new[] { handbook, bobPrivate }.Order(), bobDocuments.Documents.Select(d => d.DocumentId).Order());
        Assert.Equal([neighbours], carolSees.Hits.Select(h => h.Chunk.DocumentId).Distinct());
        Assert.Equal(10, cache.GetStatistics().Entries); // both kinds: two tenant partitions, three users' own
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task AskAsync_QuestionAboutOthersPrivateDocument_NeverQuotesOrCitesIt(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var embeddings = new BagOfWordsEmbeddingGenerator();
        var tenant = await Corpus.TenantAsync(database, mode);
        var neighbour = await Corpus.TenantAsync(database, mode);
        var alice = Corpus.As(tenant, "alice");
        var bob = Corpus.As(tenant, "bob");
        var alicePrivate = await Corpus.AddAsync(database, alice, embeddings, "Salary review", "Alice's private salary review says the zebra bonus is confidential.", DocumentVisibility.Private);
        var handbook = await Corpus.AddAsync(database, alice, embeddings, "Team handbook", "The zebra bonus is paid each spring after the salary review.");
        var neighbours = await Corpus.AddAsync(database, Corpus.As(neighbour, "carol"), embeddings, "Neighbour review", "The neighbouring tenant's zebra bonus salary review is secret.");
        using var cache = new RetrievalIndexCache();
        var answers = new AnswerService(new SearchService(database.Search, embeddings, cache));

        var aliceAnswer = await answers.AskAsync(alice, "What does the salary review say about the zebra bonus?", 10, ct);
        var bobAnswer = await answers.AskAsync(bob, "What does the salary review say about the zebra bonus?", 10, ct);

        Assert.Contains(alicePrivate, aliceAnswer.Citations.Select(c => c.DocumentId));
        Assert.Contains("confidential", aliceAnswer.Text, StringComparison.Ordinal);
        Assert.True(bobAnswer.IsAnswered);
        Assert.Equal([handbook], bobAnswer.Citations.Select(c => c.DocumentId).Distinct());
        Assert.DoesNotContain("confidential", bobAnswer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", bobAnswer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(neighbours, aliceAnswer.Citations.Select(c => c.DocumentId));
    }
}
