using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// The default fusion on real text with the real model: a conversational question whose answer only the vector
/// retriever finds, while full-text search matches one common word of the question in an unrelated page.
/// </summary>
public sealed class FusionDefaultsTests(PostgresServer server, MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private const string Question = "how do I work without internet?";

    private static readonly (string Title, string Text)[] Manual =
    [
        ("Offline mode", "Pass --offline and Cargo uses only the sources it has already downloaded, never touching the network."),
        ("Workspaces", "A workspace lets several packages work together: they share one Cargo.lock and one target directory, so they work from the same versions of their dependencies."),
        ("Parallel jobs", "The -j flag sets how many compiler processes run at once; fewer jobs keep the CPU cooler on a small machine."),
        ("Build scripts", "A build script is compiled and run before the package is built: it can build C code or generate Rust code for the build."),
        ("Running tests", "Pass the name of any test function to cargo test to run only that test: cargo test one_hundred runs the tests whose names contain one_hundred."),
        ("Ignoring tests", "Mark an expensive test with #[ignore] to skip it by default; cargo test -- --ignored runs only the ignored tests."),
        ("Printing", "Derive Debug to print a value with {:?} in println!, or implement Display for the {} placeholder."),
        ("Cloning", "Derive Clone to make an explicit deep copy with .clone(); Copy types are duplicated implicitly on assignment."),
    ];

    [Fact]
    public async Task SearchAsync_VectorOnlyAnswerAgainstCommonWordMatch_DefaultsRankTheAnswerFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("srch_fusion");
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        foreach (var (title, text) in Manual)
        {
            await Corpus.AddAsync(database, alice, model.Generator, title, text);
        }

        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, model.Generator, cache);

        // Eight chunks are all vector candidates at the default depth; in a real manual a page sharing one word with the
        // question is far down the vector ranking. Three candidates from each retriever stand for that.
        var defaults = RetrievalOptions.Default with { CandidateDepth = 3 };
        var vector = await search.SearchAsync(alice, Question, 3, defaults with { Retriever = RetrieverKind.Vector }, ct);
        var lexical = await search.SearchAsync(alice, Question, 3, defaults with { Retriever = RetrieverKind.Lexical }, ct);
        var hybrid = await search.SearchAsync(alice, Question, 3, defaults, ct);
        var formerDefaults = await search.SearchAsync(alice, Question, 3, defaults with { RrfK = 5, LexicalWeight = 1.5 }, ct);

        Assert.Equal("Offline mode", vector.Hits[0].Chunk.DocumentTitle);
        Assert.DoesNotContain("Workspaces", vector.Hits.Select(h => h.Chunk.DocumentTitle));
        Assert.Equal(["Workspaces"], lexical.Hits.Select(h => h.Chunk.DocumentTitle)); // "work", nothing else
        Assert.Equal("Offline mode", hybrid.Hits[0].Chunk.DocumentTitle);
        Assert.Equal("Workspaces", formerDefaults.Hits[0].Chunk.DocumentTitle); // what issue 16 saw
    }
}
