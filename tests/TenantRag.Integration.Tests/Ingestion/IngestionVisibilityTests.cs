using TenantRag.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>Documents ingested as private are the ingesting user's alone, in both isolation models.</summary>
[Trait("Category", "Isolation")]
public sealed class IngestionVisibilityTests(PostgresServer server)
{
    private const string Prefix = "ing_vis";

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task IngestAsync_PrivateVisibility_NotListedOrReadableForOtherUser(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database, mode);
        using var tree = new TempTree();
        var diary = tree.Write("private/diary.md", "# Diary\n\n" + Ingest.Prose("diary", 6));
        var team = tree.Write("team.md", "# Team\n\n" + Ingest.Prose("team", 6));
        var pipeline = Ingest.Pipeline(database.Documents, new BagOfWordsEmbeddingGenerator());
        var alice = Ingest.As(tenant, "alice");
        var bob = Ingest.As(tenant, "bob");

        var stored = await Ingest.RunAsync(pipeline, alice, diary, DocumentVisibility.Private);
        await Ingest.RunAsync(pipeline, alice, team);
        var aliceSees = await database.Documents.ListAsync(alice, ct);
        var bobSees = await database.Documents.ListAsync(bob, ct);
        var aliceChunks = await CountVisibleChunksAsync(database, alice, ct);
        var bobChunks = await CountVisibleChunksAsync(database, bob, ct);
        var diaryChunks = (await Ingest.ChunkIdsAsync(server, tenant, "diary.md")).Length;

        Assert.Equal(1, stored.Added);
        Assert.Equal(["Diary", "Team"], aliceSees.Select(d => d.Title).Order());
        Assert.Equal(DocumentVisibility.Private, aliceSees.Single(d => d.Title == "Diary").Visibility);
        Assert.Equal(["Team"], bobSees.Select(d => d.Title));
        Assert.True(diaryChunks > 0);
        Assert.Equal(aliceChunks - diaryChunks, bobChunks);
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM chunks WHERE tenant_id = $1 AND visibility = 'private' AND owner_id <> 'alice'", tenant.Id));

        // The visibility is part of the content hash: ingesting the same file for the whole tenant is a change.
        var shared = await Ingest.RunAsync(pipeline, alice, diary, DocumentVisibility.Tenant);

        Assert.Equal((0, 1, 0), (shared.Added, shared.Replaced, shared.Unchanged));
        Assert.Equal(["Diary", "Team"], (await database.Documents.ListAsync(bob, ct)).Select(d => d.Title).Order());
    }

    private static async Task<long> CountVisibleChunksAsync(Postgres.TenantRagDatabase database, TenantContext context, CancellationToken ct)
    {
        // Through the user's own session: row-level security decides what is counted (no WHERE on purpose).
        await using var session = await database.Sessions.OpenSessionAsync(context, ct);
        await using var cmd = session.CreateCommand("SELECT count(*) FROM chunks");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
