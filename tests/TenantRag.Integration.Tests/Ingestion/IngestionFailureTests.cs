using System.Diagnostics;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>
/// Crash safety: a store that fails or is cancelled halfway (after the document row is written, while its chunks
/// are inserted) leaves no half document. Failures are injected by a trigger on <c>chunks</c> in this class's own
/// installation: a chunk containing EXPLODE raises, one containing SLOWPOKE sleeps.
/// </summary>
public sealed class IngestionFailureTests(PostgresServer server)
{
    private const string Prefix = "ing_fail";

    [Fact]
    public async Task IngestAsync_StoreFailsAfterDocumentRow_NoHalfDocumentAndRestStored()
    {
        await using var database = await OpenAsync();
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("fine.md", "# Fine\n\n" + Ingest.Prose("fine", 30));
        tree.Write("boom.md", "# Boom\n\n" + Ingest.Prose("boom", 30) + "\n\nThe last chunk says EXPLODE.");
        var pipeline = Ingest.Pipeline(database.Documents, new BagOfWordsEmbeddingGenerator());

        var summary = await Ingest.RunAsync(pipeline, Ingest.As(tenant, "alice"), tree.Root);

        Assert.Equal(1, summary.Added);
        var rejected = Assert.Single(summary.Rejected);
        Assert.Equal(("boom.md", "store", "StoreFailed"), (rejected.Source, rejected.Step, rejected.Reason));
        Assert.Contains("injected failure", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM documents WHERE tenant_id = $1 AND source = 'boom.md'", tenant.Id));
        Assert.NotEmpty(await Ingest.ChunkIdsAsync(server, tenant, "fine.md"));
        Assert.Equal(0L, await Ingest.DocumentsWithoutChunksAsync(server, tenant));
    }

    [Fact]
    public async Task IngestAsync_ReplaceFailsAfterDeletingOldDocument_OldVersionIntact()
    {
        await using var database = await OpenAsync();
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        var path = tree.Write("policy.md", "# Policy\n\n" + Ingest.Prose("policy", 30));
        var pipeline = Ingest.Pipeline(database.Documents, new BagOfWordsEmbeddingGenerator());
        var context = Ingest.As(tenant, "alice");
        await Ingest.RunAsync(pipeline, context, tree.Root);
        const string document = "SELECT id::text || ' ' || content_hash FROM documents WHERE tenant_id = $1 AND source = 'policy.md'";
        var before = await server.ScalarAsync<string>(tenant.Database, document, tenant.Id);
        var chunksBefore = await Ingest.ChunkIdsAsync(server, tenant, "policy.md");
        await File.AppendAllTextAsync(path, "\n\nAmendment: EXPLODE.\n", TestContext.Current.CancellationToken);

        var summary = await Ingest.RunAsync(pipeline, context, tree.Root);

        Assert.Equal("StoreFailed", Assert.Single(summary.Rejected).Reason);
        Assert.Equal(before, await server.ScalarAsync<string>(tenant.Database, document, tenant.Id));
        Assert.Equal(chunksBefore, await Ingest.ChunkIdsAsync(server, tenant, "policy.md"));
        Assert.Equal(0L, await Ingest.DocumentsWithoutChunksAsync(server, tenant));
    }

    [Fact]
    public async Task IngestAsync_CancelledWhileStoringChunks_RollsBackAndThrows()
    {
        await using var database = await OpenAsync();
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("slow.md", "# Slow\n\n" + Ingest.Prose("slow", 30) + "\n\nThis chunk is a SLOWPOKE.");
        var documents = new StoreSignallingRepository(database.Documents);
        var pipeline = Ingest.Pipeline(documents, new BagOfWordsEmbeddingGenerator());
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();

        var ingest = Ingest.RunAsync(pipeline, Ingest.As(tenant, "alice"), tree.Root, cancellationToken: cancel.Token);
        await documents.StoreStarted.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ingest);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"cancellation should interrupt the 30 s trigger, took {watch.Elapsed}");
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM documents WHERE tenant_id = $1", tenant.Id));
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM chunks WHERE tenant_id = $1", tenant.Id));
    }

    private async Task<TenantRagDatabase> OpenAsync()
    {
        var database = await server.OpenInstallationAsync(Prefix);
        await server.ExecuteAsync(database.Installation.Names.Shared, """
            CREATE OR REPLACE FUNCTION public.ingest_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.content LIKE '%EXPLODE%' THEN
                    RAISE EXCEPTION 'injected failure while inserting chunk %', NEW.ordinal;
                END IF;
                IF NEW.content LIKE '%SLOWPOKE%' THEN
                    PERFORM pg_sleep(30);
                END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER ingest_test_fault BEFORE INSERT ON public.chunks
                FOR EACH ROW EXECUTE FUNCTION public.ingest_test_fault();
            """);
        return database;
    }

    /// <summary>Passes every call through, and says when the first store begins.</summary>
    private sealed class StoreSignallingRepository(IDocumentRepository inner) : DelegatingDocumentRepository(inner)
    {
        private readonly TaskCompletionSource _storeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task StoreStarted => _storeStarted.Task;

        public override Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantContext context, NewDocument document, IReadOnlyList<NewChunk> chunks, EmbeddingModel? model, CancellationToken cancellationToken = default)
        {
            _storeStarted.TrySetResult();
            return base.StoreAsync(context, document, chunks, model, cancellationToken);
        }
    }
}
