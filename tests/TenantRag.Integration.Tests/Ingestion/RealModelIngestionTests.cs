using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TenantRag.Rag.Embeddings;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>End to end with the bundled all-MiniLM-L6-v2: real files, real vectors, real PostgreSQL.</summary>
public sealed class RealModelIngestionTests(PostgresServer server)
{
    private const string Prefix = "ing_real";

    [Fact]
    public async Task IngestAsync_MiniLm_StoresUnitVectorsWithModelThatMatchTheirText()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Ingest.TenantAsync(database);
        using var tree = new TempTree();
        tree.Write("account/password.md", "# Resetting your password\n\nOpen the sign-in page and choose 'Forgot password'. We email you a link that is valid for one hour.\n");
        tree.Write("billing.txt", "Invoices and billing\n\nInvoices are issued on the first day of each month and can be paid by card or bank transfer.\n");
        using var generator = new MiniLmEmbeddingGenerator();
        var pipeline = new Rag.Ingestion.Pipeline.IngestionPipeline(database.Documents, generator, generator.Tokenizer);

        var summary = await Ingest.RunAsync(pipeline, Ingest.As(tenant, "alice"), tree.Root);

        Assert.Equal((2, 2L, 2L), (summary.Added, summary.Chunks, summary.ChunksEmbedded));
        Assert.Equal(new Documents.EmbeddingModel("all-MiniLM-L6-v2", 384), summary.Model);
        var rows = await server.QueryAsync(tenant.Database, """
            SELECT d.source, c.embedding_model, c.embedding_dims, c.embedding FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE d.tenant_id = $1 ORDER BY d.source
            """, tenant.Id);
        Assert.Equal(["account/password.md", "billing.txt"], rows.Select(r => (string)r[0]!));
        Assert.All(rows, r => Assert.Equal(("all-MiniLM-L6-v2", 384), ((string)r[1]!, (int)r[2]!)));
        var vectors = rows.Select(r => MemoryMarshal.Cast<byte, float>((byte[])r[3]!).ToArray()).ToList();
        Assert.All(vectors, v => Assert.Equal(1f, TensorPrimitives.Norm(v), 0.001f));
        var query = (await generator.GenerateAsync(["How do I reset my password?"], cancellationToken: ct))[0].Vector.ToArray();
        Assert.True(TensorPrimitives.Dot(query, vectors[0]) > TensorPrimitives.Dot(query, vectors[1]) + 0.2f,
            $"password chunk {TensorPrimitives.Dot(query, vectors[0]):F3} vs billing chunk {TensorPrimitives.Dot(query, vectors[1]):F3}");
    }
}
