using System.Globalization;
using TenantRag.Documents;
using TenantRag.Integration.Tests.Retrieval;
using TenantRag.Postgres;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Properties;

/// <summary>
/// Model-based property test: random sequences of adds, replaces, deletes, lists, gets and searches by random users
/// of random tenants with random visibility, each on two fresh tenants, checked after every step against a plain
/// in-memory model of who may see what. Both isolation models. <c>TENANTRAG_PROPERTY_SEQUENCES</c> and
/// <c>TENANTRAG_PROPERTY_STEPS</c> make the run longer, <c>TENANTRAG_PROPERTY_SEED</c> replays one sequence; a failure
/// names its seed and step.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class IsolationPropertyTests(PostgresServer server)
{
    private static readonly string[] Users = ["u1", "u2", "u3"];

    private static int Sequences => Setting("TENANTRAG_PROPERTY_SEQUENCES", 75);

    private static int Steps => Setting("TENANTRAG_PROPERTY_STEPS", 10);

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task RandomOperations_EveryStep_MatchTheModelOfWhoMaySeeWhat(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync("prop");
        var embeddings = new BagOfWordsEmbeddingGenerator();
        var search = new SearchService(database.Search, embeddings, new RetrievalIndexCache());
        var replay = int.TryParse(Environment.GetEnvironmentVariable("TENANTRAG_PROPERTY_SEED"), CultureInfo.InvariantCulture, out var s) ? s : (int?)null;
        // As many steps in both models, in a third as many (three times longer) sequences with dedicated tenants: each
        // sequence creates and drops two databases, which took most of the dedicated run's time.
        var (sequences, steps) = mode == TenancyMode.Dedicated ? (Math.Max(1, Sequences / 3), Steps * 3) : (Sequences, Steps);
        for (var sequence = 0; sequence < (replay is null ? sequences : 1); sequence++)
        {
            var tenants = await RunSequenceAsync(database, embeddings, search, mode, replay ?? Random.Shared.Next(), steps);
            foreach (var tenant in tenants)
            {
                await database.Catalog.DeleteAsync(tenant.Slug, TestContext.Current.CancellationToken);
            }
        }
    }

    private static async Task<TenantInfo[]> RunSequenceAsync(TenantRagDatabase database, BagOfWordsEmbeddingGenerator embeddings, SearchService search, TenancyMode mode, int seed, int steps)
    {
        var random = new Random(seed);
        var ct = TestContext.Current.CancellationToken;
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };
        var hybrid = RetrievalOptions.Default with { Retriever = RetrieverKind.Hybrid };
        TenantInfo[] tenants = [await Corpus.TenantAsync(database, mode, "prop"), await Corpus.TenantAsync(database, mode, "prop")];
        var model = new List<ModelDocument>();
        var counter = 0;

        for (var step = 0; step < steps; step++)
        {
            var actorTenant = tenants[random.Next(tenants.Length)];
            var actor = Corpus.As(actorTenant, Users[random.Next(Users.Length)]);
            var where = $"seed {seed}, step {step}, {mode}, actor {actor}";
            var roll = random.Next(100);
            if (roll < 35 || model.Count == 0)
            {
                // Add a document with a word no other document has.
                var token = $"tok{++counter}q{seed % 1000}";
                var visibility = random.Next(2) == 0 ? DocumentVisibility.Tenant : DocumentVisibility.Private;
                var title = $"doc {counter}";
                var id = await Corpus.AddAsync(database, actor, embeddings, title, $"This document carries the word {token}.", visibility);
                model.Add(new ModelDocument(id, actorTenant.Slug, actor.User, visibility, token, title));
            }
            else if (roll < 50)
            {
                // Replace one's own document (same source, new text and perhaps new visibility); someone else's is refused.
                var target = model[random.Next(model.Count)];
                var owns = target.Tenant == actorTenant.Slug && target.Owner == actor.User;
                if (owns)
                {
                    var token = $"tok{++counter}q{seed % 1000}";
                    var visibility = random.Next(2) == 0 ? DocumentVisibility.Tenant : DocumentVisibility.Private;
                    var id = await Corpus.AddAsync(database, actor, embeddings, target.Title, $"This document now carries the word {token}.", visibility);
                    model.Remove(target);
                    model.Add(target with { Id = id, Visibility = visibility, Token = token });
                }
            }
            else if (roll < 65)
            {
                // Delete: only the owner, in its own tenant, succeeds; everyone else gets "not found".
                var target = random.Next(5) == 0 ? null : model[random.Next(model.Count)];
                var deleted = await database.Documents.DeleteAsync(actor, target?.Id ?? Guid.NewGuid(), ct);
                var expected = target is not null && target.Tenant == actorTenant.Slug && target.Owner == actor.User;
                Assert.True(deleted == expected, $"{where}: delete of {target?.Title ?? "a random id"} returned {deleted}, expected {expected}");
                if (deleted)
                {
                    model.Remove(target!);
                }
            }

            // After every step: the actor's list, a get by id and a search all agree with the model.
            var visible = model.Where(d => d.VisibleTo(actorTenant.Slug, actor.User)).Select(d => d.Id).ToHashSet();
            var listed = (await database.Documents.ListAsync(actor, ct)).Select(d => d.Id).ToHashSet();
            Assert.True(visible.SetEquals(listed), $"{where}: listed {listed.Count} documents, the model says {visible.Count}");

            if (model.Count > 0)
            {
                var probe = model[random.Next(model.Count)];
                var got = await database.Documents.GetAsync(actor, probe.Id, ct);
                Assert.True((got is not null) == visible.Contains(probe.Id), $"{where}: get {probe.Title} gave {(got is null ? "404" : "the document")}");

                var found = await search.SearchAsync(actor, probe.Token, 10, random.Next(3) == 0 ? hybrid : lexical, ct);
                var hitIds = found.Hits.Select(h => h.Chunk.DocumentId).ToHashSet();
                Assert.True(hitIds.IsSubsetOf(visible), $"{where}: search returned a document the actor may not see");
                Assert.True(hitIds.Contains(probe.Id) == visible.Contains(probe.Id), $"{where}: search for {probe.Title}'s word: found {hitIds.Contains(probe.Id)}, visible {visible.Contains(probe.Id)}");
            }
        }

        return tenants;
    }

    private sealed record ModelDocument(Guid Id, TenantSlug Tenant, UserId Owner, DocumentVisibility Visibility, string Token, string Title)
    {
        public bool VisibleTo(TenantSlug tenant, UserId user) => Tenant == tenant && (Visibility == DocumentVisibility.Tenant || Owner == user);
    }
}
