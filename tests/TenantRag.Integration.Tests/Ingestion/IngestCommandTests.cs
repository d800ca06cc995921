using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>
/// <c>tenantrag ingest</c>, the built command line end to end with the real model. It uses the default installation
/// prefix <c>tenantrag</c>: the only test class of this assembly that may.
/// </summary>
public sealed class IngestCommandTests(PostgresServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));

    [Fact]
    public async Task Ingest_DirectoryWithRejectedFile_StoresTheRestAndExits1ThenUnchanged()
    {
        var slug = Slugs.UniqueText("cli");
        using var tree = new TempTree();
        tree.Write("docs/guide.md", "# Guide\n\nStart the server with the start command.\n\n## Stopping\n\nStop it with the stop command.\n");
        tree.Write("docs/faq.txt", "FAQ\n\nThe service keeps every tenant's data apart.\n");
        tree.Write("bad/scan.pdf", "not a pdf at all"u8.ToArray());
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared", "--json");

        var first = await _cli.RunAsync("ingest", slug, Path.Combine(tree.Root, "docs"), Path.Combine(tree.Root, "bad"), "--user", "carol", "--json");
        var again = await _cli.RunAsync("ingest", slug, Path.Combine(tree.Root, "docs"), "--user", "carol");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(first.ExitCode == 1, first.ToString());
        var json = first.Json();
        Assert.Equal((3, 2, 2, 0, 0), (json.GetProperty("files").GetInt32(), json.GetProperty("documents").GetInt32(), json.GetProperty("added").GetInt32(),
            json.GetProperty("replaced").GetInt32(), json.GetProperty("unchanged").GetInt32()));
        var rejected = Assert.Single(json.GetProperty("rejected").EnumerateArray());
        Assert.Equal(("scan.pdf", "Corrupt"), (rejected.GetProperty("file").GetString(), rejected.GetProperty("reason").GetString()));
        Assert.True(json.GetProperty("chunks").GetInt64() >= 2);
        Assert.True(json.GetProperty("chunksPerSecond").GetDouble() > 0);
        Assert.Equal("all-MiniLM-L6-v2", json.GetProperty("model").GetProperty("name").GetString());
        Assert.Contains("scan.pdf", first.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("start command", first.StdOut + first.StdErr, StringComparison.Ordinal);

        var id = created.Json().GetProperty("id").GetString();
        var rows = await server.QueryAsync("tenantrag_shared", """
            SELECT d.source, d.owner_id, min(c.embedding_model), min(c.embedding_dims), count(c.embedding)
            FROM documents d JOIN chunks c ON c.document_id = d.id WHERE d.tenant_id = $1 GROUP BY d.id ORDER BY d.source
            """, id);
        Assert.Equal(["faq.txt", "guide.md"], rows.Select(r => (string)r[0]!));
        Assert.All(rows, r => Assert.Equal(("carol", "all-MiniLM-L6-v2", 384), ((string)r[1]!, (string)r[2]!, (int)r[3]!)));

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("0 added, 0 replaced, 2 unchanged, 0 rejected", again.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_BadUsageOrUnknownTenant_Exits2Or1WithOneLineError()
    {
        using var tree = new TempTree();
        var file = tree.Write("note.txt", "Note\n\nSome text.\n");
        var unknown = Slugs.UniqueText("nobody");

        var badSlug = await _cli.RunAsync("ingest", "Bad_Slug", file);
        var badVisibility = await _cli.RunAsync("ingest", unknown, file, "--visibility", "public");
        var missingPath = await _cli.RunAsync("ingest", unknown, Path.Combine(tree.Root, "missing.md"));
        var badUser = await _cli.RunAsync("ingest", unknown, file, "--user", " padded ");
        var unknownTenant = await _cli.RunAsync("ingest", unknown, file);

        Assert.True(badSlug.ExitCode == 2, badSlug.ToString());
        Assert.StartsWith("error: invalid tenant slug 'Bad_Slug'", badSlug.StdErr, StringComparison.Ordinal);
        Assert.True(badVisibility.ExitCode == 2, badVisibility.ToString());
        Assert.Contains("unknown visibility 'public'", badVisibility.StdErr, StringComparison.Ordinal);
        Assert.True(missingPath.ExitCode == 2, missingPath.ToString());
        Assert.Contains("missing.md' does not exist", missingPath.StdErr, StringComparison.Ordinal);
        Assert.True(badUser.ExitCode == 2, badUser.ToString());
        Assert.Contains("invalid user id", badUser.StdErr, StringComparison.Ordinal);
        Assert.True(unknownTenant.ExitCode == 1, unknownTenant.ToString());
        Assert.Contains($"tenant '{unknown}' does not exist", unknownTenant.StdErr, StringComparison.Ordinal);
        Assert.All(new[] { badSlug, badVisibility, missingPath, badUser, unknownTenant }, r => Assert.Equal(string.Empty, r.StdOut));
    }

    [Fact]
    public async Task Ingest_DatabaseRefusesAStore_Exits1SayingTheStoreFailedNotTheFile()
    {
        // A real PostgreSQL error: a trigger (admin SQL) raises on inserting a chunk that holds the marker.
        var slug = Slugs.UniqueText("clifail");
        using var tree = new TempTree();
        tree.Write("fine.md", "# Fine\n\nThe cafeteria opens at eight.\n");
        tree.Write("doomed.md", "# Doomed\n\nThis note says POISONPILL when it is stored.\n");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared", "--json");
        await StoreFault.InjectAsync(server, "tenantrag_shared", "POISONPILL");

        CliRun ingest;
        try
        {
            ingest = await _cli.RunAsync("ingest", slug, tree.Root);
        }
        finally
        {
            await StoreFault.RemoveAsync(server, "tenantrag_shared", "POISONPILL");
        }

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(ingest.ExitCode == 1, ingest.ToString());
        Assert.Contains("error: 1 document(s) could not be stored (StoreFailed", ingest.StdErr, StringComparison.Ordinal);
        Assert.Contains("run the same command again", ingest.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Fix or remove them", ingest.StdErr, StringComparison.Ordinal);
        var sources = await server.QueryAsync("tenantrag_shared", "SELECT source FROM documents WHERE tenant_id = $1", created.Json().GetProperty("id").GetString());
        Assert.Equal(["fine.md"], sources.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Ingest_IngestionSettingsFromTheEnvironment_FileOverALimitRejectedAndBadValueIsUsageError()
    {
        var slug = Slugs.UniqueText("clilimit");
        using var tree = new TempTree();
        tree.Write("long.md", "# Long\n\n" + string.Concat(Enumerable.Repeat("A sentence that takes room. ", 20)) + "\n");
        tree.Write("short.md", "# Short\n\nA short note.\n");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared");

        _cli.Environment["TenantRag__Ingestion__MaxCharactersPerDocument"] = "200";
        var limited = await _cli.RunAsync("ingest", slug, tree.Root, "--json");
        _cli.Environment["TenantRag__Ingestion__MaxPagesPerDocument"] = "0";
        var badSetting = await _cli.RunAsync("ingest", slug, tree.Root);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(limited.ExitCode == 1, limited.ToString());
        var rejected = Assert.Single(limited.Json().GetProperty("rejected").EnumerateArray());
        Assert.Equal(("long.md", "TooManyCharacters"), (rejected.GetProperty("file").GetString(), rejected.GetProperty("reason").GetString()));
        Assert.Contains("Ingestion:MaxCharactersPerDocument", rejected.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(badSetting.ExitCode == 2, badSetting.ToString());
        Assert.StartsWith("error: setting Ingestion:MaxPagesPerDocument is 0", badSetting.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
