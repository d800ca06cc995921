using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Npgsql;
using TenantRag.Documents;
using TenantRag.Integration.Tests.Ingestion;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Crash;

/// <summary>
/// Crash safety on a cluster of the test's own (the shared one must stay up): PostgreSQL stopped immediately in the
/// middle of ingestion and of queries, and the ingesting process killed mid-run. Afterwards, with no manual step,
/// every acknowledged document is complete, no document is half there, a re-run finishes the rest, and search works
/// with a reloaded vector cache.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime
{
    private readonly TenantRagHome _home = new(Path.Combine(Path.GetTempPath(), "tenantrag-crash-" + Slugs.RandomLetters(8)));
    private EmbeddedCluster _cluster = null!;
    private Secrets _secrets = null!;
    private ServerEndpoint _endpoint = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _secrets = Secrets.LoadOrCreate(_home);
        _cluster = await EmbeddedCluster.OpenAsync(_home, _secrets, new EmbeddedClusterOptions { Durable = true });
        _endpoint = await _cluster.EnsureStartedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _cluster.StopAsync(immediate: true);
        Directory.Delete(_home.Root, recursive: true);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ImmediateStop_DuringIngestionAndQueries_AcknowledgedDocumentsCompleteAndRecovery(TenancyMode mode)
    {
        await using var database = await TenantRagDatabase.OpenAsync(_endpoint, _secrets, new TenancyOptions { Prefix = "t_crash" }, cancellationToken: Ct);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("crash"), mode, Ct);
        var context = TenantContext.For(tenant.Slug, UserId.Parse("alice"));
        using var files = new TempTree();
        for (var i = 0; i < 30; i++)
        {
            files.Write($"doc-{i:D2}.md", $"# Document {i}\n\n{Ingest.Prose($"zebra{i} subsystem", 40)}");
        }

        var acknowledged = new AcknowledgingRepository(database.Documents);
        var slow = new SlowEmbeddings(new BagOfWordsEmbeddingGenerator(), TimeSpan.FromMilliseconds(40));
        var search = new SearchService(database.Search, slow, new RetrievalIndexCache());
        var ingest = Task.Run(async () =>
        {
            try
            {
                await Ingest.RunAsync(Ingest.Pipeline(acknowledged, slow), context, files.Root);
            }
            catch (Exception ex) when (ex is NpgsqlException or TenantRagException or InvalidOperationException or IOException)
            {
                // The server vanished under it: expected.
            }
        }, Ct);
        using var queriesStop = new CancellationTokenSource();
        var queryOutcomes = new ConcurrentQueue<bool>();
        var queries = Task.Run(async () =>
        {
            while (!queriesStop.IsCancellationRequested)
            {
                try
                {
                    await search.SearchAsync(context, "zebra3 subsystem request", 5, cancellationToken: Ct);
                    queryOutcomes.Enqueue(true);
                }
                catch (Exception ex) when (ex is NpgsqlException or TenantRagException or InvalidOperationException or IOException)
                {
                    queryOutcomes.Enqueue(false);
                    await Task.Delay(50, Ct);
                }
            }
        }, Ct);

        var deadline = Stopwatch.StartNew();
        while (acknowledged.Count < 5)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "ingestion did not get going");
            await Task.Delay(20, Ct);
        }

        await _cluster.StopAsync(immediate: true, Ct);
        await ingest.WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var acknowledgedBeforeCrash = acknowledged.Snapshot();
        await _cluster.EnsureStartedAsync(Ct);
        await Task.Delay(500, Ct);
        queriesStop.Cancel();
        await queries.WaitAsync(TimeSpan.FromMinutes(1), Ct);

        var afterCrash = await DocumentsAsync(tenant);
        var rerun = await Ingest.RunAsync(Ingest.Pipeline(database.Documents, slow), context, files.Root);
        var afterRerun = await DocumentsAsync(tenant);
        var found = await search.SearchAsync(context, "zebra29 subsystem request", 5, cancellationToken: Ct);

        Assert.InRange(acknowledgedBeforeCrash.Count, 5, 29);
        Assert.All(acknowledgedBeforeCrash, ack => Assert.Equal(ack.Value, afterCrash.GetValueOrDefault(ack.Key)));
        Assert.All(afterCrash, doc => Assert.True(doc.Value > 0, $"{doc.Key} has no chunks: half a document"));
        Assert.Empty(rerun.Rejected);
        Assert.Equal(30, afterRerun.Count);
        Assert.All(afterRerun, doc => Assert.True(doc.Value > 0));
        Assert.Contains(queryOutcomes, ok => ok);
        Assert.Contains(found.Hits, h => h.Chunk.DocumentTitle == "Document 29");
    }

    [Fact]
    public async Task KilledIngestProcess_LeavesNoHalfDocument_AndARerunCompletes()
    {
        await using var database = await TenantRagDatabase.OpenAsync(_endpoint, _secrets, cancellationToken: Ct);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("killed"), TenancyMode.Shared, Ct);
        using var files = new TempTree();
        for (var i = 0; i < 40; i++)
        {
            files.Write($"doc-{i:D2}.md", $"# Document {i}\n\n{Ingest.Prose($"topic{i}", 30)}");
        }

        using (var first = StartCli(files.Root, tenant.Slug.Value))
        {
            var deadline = Stopwatch.StartNew();
            while ((await DocumentsAsync(tenant)).Count < 3)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(3) && !first.HasExited, "the CLI stored nothing before the deadline");
                await Task.Delay(100, Ct);
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(Ct);
        }

        var afterKill = await DocumentsAsync(tenant);
        using var second = StartCli(files.Root, tenant.Slug.Value);
        await second.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(5), Ct);
        var afterRerun = await DocumentsAsync(tenant);

        Assert.InRange(afterKill.Count, 3, 39);
        Assert.All(afterKill, doc => Assert.True(doc.Value > 0, $"{doc.Key} has no chunks: half a document"));
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(40, afterRerun.Count);
        Assert.All(afterKill, doc => Assert.Equal(doc.Value, afterRerun[doc.Key]));
    }

    private Process StartCli(string directory, string tenant)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));
        foreach (var arg in new[] { "ingest", tenant, directory, "--user", "cli", "--json" })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["TENANTRAG_DATABASE_URL"] = $"postgres://postgres:{Uri.EscapeDataString(_endpoint.BootstrapPassword)}@{_endpoint.Host}:{_endpoint.Port}/postgres";
        psi.Environment["TENANTRAG_HOME"] = _home.Root;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string DotnetHost()
    {
        var host = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(host) ? host : "dotnet";
    }

    /// <summary>Source → chunk count of the tenant's documents, read as the superuser (no RLS).</summary>
    private async Task<Dictionary<string, long>> DocumentsAsync(TenantInfo tenant)
    {
        var builder = _endpoint.ConnectionString(_endpoint.BootstrapUsername, _endpoint.BootstrapPassword, tenant.Database);
        builder.Pooling = false;
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var cmd = dataSource.CreateCommand("""
            SELECT d.source, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) FROM documents d WHERE d.tenant_id = $1
            """);
        cmd.Parameters.Add(new() { Value = tenant.Id });
        var documents = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            documents[reader.GetString(0)] = reader.GetInt64(1);
        }

        return documents;
    }

    /// <summary>Records every document the store acknowledged (StoreAsync returned), with its chunk count.</summary>
    private sealed class AcknowledgingRepository(IDocumentRepository inner) : DelegatingDocumentRepository(inner)
    {
        private readonly ConcurrentDictionary<string, long> _acknowledged = new(StringComparer.Ordinal);

        public int Count => _acknowledged.Count;

        public Dictionary<string, long> Snapshot() => new(_acknowledged, StringComparer.Ordinal);

        public override async Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantContext context, NewDocument document, IReadOnlyList<NewChunk> chunks, EmbeddingModel? model, CancellationToken cancellationToken = default)
        {
            var result = await base.StoreAsync(context, document, chunks, model, cancellationToken);
            _acknowledged[document.Source] = chunks.Count;
            return result;
        }
    }

    /// <summary>The fake model, slowed down so a crash lands in the middle of a run.</summary>
    private sealed class SlowEmbeddings(BagOfWordsEmbeddingGenerator inner, TimeSpan delay) : IEmbeddingGenerator<string, Embedding<float>>, TenantRag.Rag.Embeddings.IEmbeddingModelInfo
    {
        public string ModelName => inner.ModelName;

        public int Dimensions => inner.Dimensions;

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            return await inner.GenerateAsync(values, options, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
