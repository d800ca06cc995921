using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>The ingestion pipeline on real files into a real PostgreSQL, with the deterministic fake model.</summary>
public sealed class IngestionPipelineTests(PostgresServer server)
{
    private const string Prefix = "ing_pipe";

    [Fact]
    public async Task IngestAsync_DirectoryWithBrokenFile_StoresGoodFilesAndReportsBrokenOne()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("guide.md", "# Install Guide\n\n" + Ingest.Prose("prerequisites", 20) + "\n\n## Linux\n\n" + Ingest.Prose("Linux installer", 20) + "\n");
        tree.Write("notes.txt", "Release notes\n\nThe release adds hybrid search.\n");
        tree.Write("web/pricing.html", "<html><head><title>Pricing</title><script>var tracking = 1;</script></head><body><nav>Home</nav><main><p>Plans start at ten dollars.</p></main></body></html>");
        tree.Write(".hidden.md", "# Hidden\n\nNot for ingestion.\n");
        tree.Write("broken.pdf", "This is not a PDF, just text with a .pdf name."u8.ToArray());
        var generator = new BagOfWordsEmbeddingGenerator();
        var pipeline = Ingest.Pipeline(database.Documents, generator);

        var summary = await Ingest.RunAsync(pipeline, Ingest.As(tenant, "alice"), tree.Root);

        Assert.Equal((4, 3, 3, 0, 0), (summary.Files, summary.Documents, summary.Added, summary.Replaced, summary.Unchanged));
        var rejected = Assert.Single(summary.Rejected);
        Assert.Equal(("broken.pdf", "extract", "Corrupt"), (rejected.Source, rejected.Step, rejected.Reason));
        Assert.True(summary.HasRejections);
        var rows = await server.QueryAsync(tenant.Database, """
            SELECT d.source, d.owner_id, count(c.id), count(c.embedding), min(c.embedding_model), min(c.embedding_dims), bool_and(c.heading LIKE d.title || '%')
            FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
            WHERE d.tenant_id = $1 GROUP BY d.id ORDER BY d.source
            """, tenant.Id);
        Assert.Equal(["guide.md", "notes.txt", "web/pricing.html"], rows.Select(r => (string)r[0]!));
        Assert.All(rows, r =>
        {
            Assert.Equal("alice", r[1]);
            Assert.True((long)r[2]! >= 1);
            Assert.Equal(r[2], r[3]);
            Assert.Equal(generator.ModelName, r[4]);
            Assert.Equal(generator.Dimensions, r[5]);
            Assert.Equal(true, r[6]);
        });
        Assert.Equal(summary.Chunks, rows.Sum(r => (long)r[2]!));
        var headings = await server.QueryAsync(tenant.Database, "SELECT heading FROM chunks WHERE tenant_id = $1 ORDER BY heading", tenant.Id);
        Assert.Contains(headings, h => (string)h[0]! == "Install Guide > Linux");
    }

    [Fact]
    public async Task IngestAsync_SameFilesAgain_AllUnchangedWithoutEmbeddingOrNewRows()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("a.md", "# Alpha\n\n" + Ingest.Prose("alpha service", 40));
        tree.Write("b.txt", "Beta\n\n" + Ingest.Prose("beta queue", 8));
        var generator = new BagOfWordsEmbeddingGenerator();
        var pipeline = Ingest.Pipeline(database.Documents, generator);
        var context = Ingest.As(tenant, "alice");
        var first = await Ingest.RunAsync(pipeline, context, tree.Root);
        var embedded = generator.InputCount;
        const string allChunks = "SELECT string_agg(id::text, ',' ORDER BY id) FROM chunks WHERE tenant_id = $1";
        var chunkIds = await server.ScalarAsync<string>(tenant.Database, allChunks, tenant.Id);

        var second = await Ingest.RunAsync(pipeline, context, tree.Root);

        Assert.Equal((2, 0), (first.Added, first.Rejected.Count));
        Assert.True(first.Chunks >= 3, $"a.md should make several chunks, got {first.Chunks} in all");
        Assert.Equal((0, 0, 2, 0L, 0L), (second.Added, second.Replaced, second.Unchanged, second.Chunks, second.ChunksEmbedded));
        Assert.Empty(second.Rejected);
        Assert.Equal(embedded, generator.InputCount);
        Assert.Equal(chunkIds, await server.ScalarAsync<string>(tenant.Database, allChunks, tenant.Id));
    }

    [Fact]
    public async Task IngestAsync_DocumentsStoredBeforeTheirTextWasKept_ReplacedWithTheirTextThenUnchanged()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("a.md", "# Alpha\n\n" + Ingest.Prose("alpha service", 12));
        tree.Write("corpus.jsonl", "{\"_id\": \"1\", \"title\": \"One\", \"text\": \"The first line.\"}\n{\"_id\": \"2\", \"title\": \"Two\", \"text\": \"The second line.\"}\n");
        var generator = new BagOfWordsEmbeddingGenerator();
        var pipeline = Ingest.Pipeline(database.Documents, generator);
        var context = Ingest.As(tenant, "alice");
        await Ingest.RunAsync(pipeline, context, tree.Root);
        const string withoutText = "SELECT count(*) FROM documents WHERE tenant_id = $1 AND extracted_text IS NULL";

        // What migration 007 leaves of documents stored before it: no text.
        await server.ExecuteAsync(tenant.Database, "UPDATE documents SET extracted_text = NULL WHERE tenant_id = $1", tenant.Id);
        var embedded = generator.InputCount;
        var again = await Ingest.RunAsync(pipeline, context, tree.Root);
        var third = await Ingest.RunAsync(pipeline, context, tree.Root);

        Assert.Equal((0, 3, 0), (again.Added, again.Replaced, again.Unchanged));
        Assert.Equal(0L, again.ChunksEmbedded);
        Assert.Equal(embedded, generator.InputCount);
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, withoutText, tenant.Id));
        Assert.Equal((0, 0, 3), (third.Added, third.Replaced, third.Unchanged));
    }

    [Fact]
    public async Task IngestAsync_ChangedFile_ReplacedInOneTransaction()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        var path = tree.Write("handbook.md", "# Handbook\n\n" + Ingest.Prose("handbook", 40));
        tree.Write("other.txt", "Other\n\n" + Ingest.Prose("other", 5));
        var pipeline = Ingest.Pipeline(database.Documents, new BagOfWordsEmbeddingGenerator());
        var context = Ingest.As(tenant, "alice");
        await Ingest.RunAsync(pipeline, context, tree.Root);
        var oldIds = await Ingest.ChunkIdsAsync(server, tenant, "handbook.md");
        await File.AppendAllTextAsync(path, "\n\nA closing paragraph about the zeppelin maintenance schedule.\n", TestContext.Current.CancellationToken);

        // Watch the source from outside while it is replaced: every snapshot must show exactly one document,
        // and all its chunks belonging to that one document (never the old and the new side by side).
        using var stop = new CancellationTokenSource();
        var watcher = WatchSourceAsync(tenant, "handbook.md", stop.Token);
        var summary = await Ingest.RunAsync(pipeline, context, tree.Root);
        await stop.CancelAsync();
        var snapshots = await watcher;

        Assert.Equal((0, 1, 1), (summary.Added, summary.Replaced, summary.Unchanged));
        Assert.True(summary.ChunksReused >= 1, "the unchanged first chunk should reuse its stored vector");
        Assert.NotEmpty(snapshots);
        Assert.All(snapshots, s => Assert.Equal((1L, 1L), s));
        var newIds = await Ingest.ChunkIdsAsync(server, tenant, "handbook.md");
        Assert.NotEmpty(newIds);
        Assert.Empty(newIds.Intersect(oldIds));
        Assert.Equal(0L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM chunks WHERE id = ANY($1)", oldIds));
        Assert.Equal(1L, await server.ScalarAsync<long>(tenant.Database,
            "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.tenant_id = $1 AND d.source = 'handbook.md' AND c.content LIKE '%zeppelin%'",
            tenant.Id));
    }

    [Fact]
    public async Task IngestAsync_BeirCorpus_OneDocumentPerLineBatchedAcrossDocuments()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        var lines = Enumerable.Range(1, 40).Select(i => $$"""{"_id": "d{{i}}", "title": "Finding {{i}}", "text": "Result {{i}} shows that protein {{i}} binds the receptor."}""").ToList();
        lines.Insert(20, "{ this line is not json");
        var path = tree.Write("corpus.jsonl", string.Join('\n', lines));
        var generator = new BagOfWordsEmbeddingGenerator();
        var pipeline = Ingest.Pipeline(database.Documents, generator, o => o.EmbeddingBatchLinger = TimeSpan.FromMilliseconds(200));
        var context = Ingest.As(tenant, "alice");

        var first = await Ingest.RunAsync(pipeline, context, path);
        var calls = generator.Calls.Count;
        lines[0] = """{"_id": "d1", "title": "Finding 1", "text": "Result 1 was retracted."}""";
        await File.WriteAllTextAsync(path, string.Join('\n', lines), TestContext.Current.CancellationToken);
        var second = await Ingest.RunAsync(pipeline, context, path);

        Assert.Equal((40, 40, 40L), (first.Documents, first.Added, first.Chunks));
        Assert.Empty(first.Rejected);
        var issue = Assert.Single(first.Issues);
        Assert.Equal("corpus.jsonl", issue.Source);
        Assert.Contains("line 21", issue.Issue, StringComparison.Ordinal);
        Assert.True(calls <= 10, $"40 one-chunk documents should share embedding calls, took {calls}");
        Assert.Equal((0, 1, 39), (second.Added, second.Replaced, second.Unchanged));
        var row = Assert.Single(await server.QueryAsync(tenant.Database,
            "SELECT external_id, title, content_type FROM documents WHERE tenant_id = $1 AND source = 'corpus.jsonl#d7'", tenant.Id));
        Assert.Equal(["d7", "Finding 7", "application/x-ndjson"], row);
    }

    [Fact]
    public async Task IngestAsync_UnknownTenant_ThrowsTenantNotFound()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        using var tree = new TempTree();
        tree.Write("a.txt", "Alpha\n\nSome text.\n");
        var pipeline = Ingest.Pipeline(database.Documents, new BagOfWordsEmbeddingGenerator());
        var context = Tenancy.TenantContext.For(Slugs.Unique("ghost"), Tenancy.UserId.Parse("alice"));

        await Assert.ThrowsAsync<TenantNotFoundException>(() => pipeline.IngestAsync(IngestionRequest.FromPaths(context, [tree.Root]), cancellationToken: TestContext.Current.CancellationToken));
    }

    private async Task<List<(long Documents, long ChunkOwners)>> WatchSourceAsync(Tenancy.TenantInfo tenant, string source, CancellationToken stop)
    {
        var snapshots = new List<(long, long)>();
        await using var connection = await server.OpenSuperuserConnectionAsync(tenant.Database);
        await using var cmd = new Npgsql.NpgsqlCommand("""
            SELECT (SELECT count(*) FROM documents WHERE tenant_id = $1 AND source = $2),
                   (SELECT count(DISTINCT c.document_id) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.tenant_id = $1 AND d.source = $2)
            """, connection);
        cmd.Parameters.Add(new() { Value = tenant.Id });
        cmd.Parameters.Add(new() { Value = source });
        while (!stop.IsCancellationRequested)
        {
            await using var reader = await cmd.ExecuteReaderAsync(CancellationToken.None);
            await reader.ReadAsync(CancellationToken.None);
            snapshots.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        return snapshots;
    }
}
